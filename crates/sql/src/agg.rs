//! Aggregate functions: the running state of one aggregate over one group,
//! with PostgreSQL's result types (`sum` of `smallint` or `integer` is
//! `bigint`, `sum` of `bigint` and `avg` of integers are exact `numeric`,
//! `count` of nothing is 0, every other aggregate of nothing is NULL). An
//! aggregate with `ORDER BY` keeps its input rows and aggregates them sorted
//! when the group ends.

use std::collections::HashSet;

use driftdb_engine::keycode::encode_key;
use driftdb_engine::numeric::Numeric;
use driftdb_engine::value::{Array, DataType, Value};

use crate::error::{Result, SqlError};
use crate::expr::{BinOp, Env, arithmetic, as_f64, as_i64, compare, type_error};
use crate::rel::{AggCall, AggFunc};

/// One aggregate's state over the rows of a group seen so far (cloned to
/// read a window frame's value while the frame goes on growing).
#[derive(Clone)]
pub struct Accumulator {
    func: AggFunc,
    /// Distinct argument values seen, for `DISTINCT`.
    seen: Option<HashSet<Vec<u8>>>,
    count: i64,
    int_sum: i128,
    float_sum: f64,
    /// The value kept by min, max, sum and avg (of numerics and intervals:
    /// the running sum; of other numbers: the first, for its type),
    /// bool_and/or and string_agg.
    value: Value,
    /// The values array_agg collects.
    items: Vec<Value>,
    /// Input rows kept for an aggregate with `ORDER BY`.
    held: Option<Vec<Vec<Value>>>,
}

impl Accumulator {
    /// A fresh state for `call`.
    pub fn new(call: &AggCall) -> Self {
        Accumulator {
            func: call.func,
            seen: call.distinct.then(HashSet::new),
            count: 0,
            int_sum: 0,
            float_sum: 0.0,
            value: Value::Null,
            items: Vec::new(),
            held: (!call.order.is_empty()).then(Vec::new),
        }
    }

    /// Adds the input `row` (an ordered aggregate keeps it for [`Self::finish`]).
    pub fn add(&mut self, call: &AggCall, row: &[Value], env: &Env<'_, '_>) -> Result<()> {
        if let Some(f) = &call.filter
            && !f.is_true(row, env)?
        {
            return Ok(());
        }
        if let Some(held) = &mut self.held {
            held.push(row.to_vec());
            return Ok(());
        }
        self.accept(call, row, env)
    }

    /// Aggregates the input `row`, which passed the filter.
    fn accept(&mut self, call: &AggCall, row: &[Value], env: &Env<'_, '_>) -> Result<()> {
        let args = call
            .args
            .iter()
            .map(|e| e.eval(row, env))
            .collect::<Result<Vec<_>>>()?;
        // count(*) counts rows; every other aggregate but array_agg skips
        // NULL inputs.
        if let AggFunc::Json(f) = self.func {
            if self.is_repeat(&args) {
                return Ok(());
            }
            self.count += 1;
            return f.accept(&args, &mut self.items);
        }
        let Some(v) = args.first() else {
            self.count += 1;
            return Ok(());
        };
        if v.is_null() && self.func == AggFunc::ArrayAgg {
            self.count += 1;
            self.items.push(Value::Null);
            return Ok(());
        }
        if v.is_null() {
            return Ok(());
        }
        if self.is_repeat(std::slice::from_ref(v)) {
            return Ok(());
        }
        self.count += 1;
        match self.func {
            AggFunc::Count => {}
            AggFunc::Sum | AggFunc::Avg => match (v, as_i64(v)) {
                (Value::Int2(_) | Value::Int4(_) | Value::Int8(_), Some(i)) => {
                    self.int_sum += i128::from(i);
                    self.float_sum += i as f64;
                    if self.value.is_null() {
                        self.value = v.clone();
                    }
                }
                (Value::Float4(_) | Value::Float8(_), _) => {
                    self.float_sum += as_f64(v).unwrap_or(0.0);
                    if self.value.is_null() {
                        self.value = v.clone();
                    }
                }
                (Value::Numeric(_), _) => {
                    self.value = if self.value.is_null() {
                        v.clone()
                    } else {
                        arithmetic(BinOp::Plus, &self.value, v)?
                    };
                }
                (Value::Interval(_), _) if self.func == AggFunc::Sum => {
                    self.value = if self.value.is_null() {
                        v.clone()
                    } else {
                        arithmetic(BinOp::Plus, &self.value, v)?
                    };
                }
                _ => return Err(type_error(self.name(), v)),
            },
            AggFunc::Min | AggFunc::Max => {
                // A later value equal to the kept one replaces it, as in
                // PostgreSQL (min of 1.5 and 1.50 is 1.50).
                let worse = if self.func == AggFunc::Min {
                    std::cmp::Ordering::Greater
                } else {
                    std::cmp::Ordering::Less
                };
                if self.value.is_null() || compare(v, &self.value)? != worse {
                    self.value = v.clone();
                }
            }
            AggFunc::BoolAnd | AggFunc::BoolOr => {
                let Value::Bool(b) = v else {
                    return Err(type_error(self.name(), v));
                };
                self.value = Value::Bool(match (&self.value, self.func) {
                    (Value::Bool(acc), AggFunc::BoolAnd) => *acc && *b,
                    (Value::Bool(acc), _) => *acc || *b,
                    _ => *b,
                });
            }
            AggFunc::StringAgg => {
                let Value::Text(s) = v else {
                    return Err(type_error(self.name(), v));
                };
                self.value = match std::mem::replace(&mut self.value, Value::Null) {
                    Value::Text(mut acc) => {
                        if let Some(Value::Text(d)) = args.get(1) {
                            acc.push_str(d);
                        }
                        acc.push_str(s);
                        Value::Text(acc)
                    }
                    _ => Value::Text(s.clone()),
                };
            }
            AggFunc::ArrayAgg | AggFunc::Json(_) => self.items.push(v.clone()),
            AggFunc::Grouping => {
                return Err(SqlError::new(
                    "42803",
                    "GROUPING is only allowed over the grouping expressions of a grouped query",
                ));
            }
            AggFunc::PercentileCont | AggFunc::PercentileDisc | AggFunc::Mode => {
                return Err(SqlError::new(
                    "42809",
                    format!(
                        "WITHIN GROUP is required for ordered-set aggregate {}",
                        self.name()
                    ),
                ));
            }
        }
        Ok(())
    }

    /// Whether `DISTINCT` has seen `values` before (and notes them).
    fn is_repeat(&mut self, values: &[Value]) -> bool {
        let Some(seen) = &mut self.seen else {
            return false;
        };
        let mut key = Vec::new();
        encode_key(values, &mut key);
        !seen.insert(key)
    }

    /// The aggregate's value over the rows added (`call` and `env` sort and
    /// aggregate the rows an ordered aggregate kept).
    pub fn finish(mut self, call: &AggCall, env: &Env<'_, '_>) -> Result<Value> {
        if let Some(held) = self.held.take() {
            if self.func.is_ordered_set() {
                return crate::ordered_set::finish(call, held, env);
            }
            let rows = Box::new(held.into_iter().map(Ok));
            for row in crate::run::sort(rows, &call.order, env)? {
                self.accept(call, &row, env)?;
            }
        }
        Ok(match self.func {
            AggFunc::Count => Value::Int8(self.count),
            _ if self.count == 0 => Value::Null,
            AggFunc::Sum => match self.value {
                Value::Int2(_) | Value::Int4(_) => Value::Int8(
                    i64::try_from(self.int_sum)
                        .map_err(|_| SqlError::new("22003", "bigint out of range"))?,
                ),
                Value::Int8(_) => Value::Numeric(Numeric::from(self.int_sum)),
                Value::Float4(_) => Value::Float4(self.float_sum as f32),
                Value::Float8(_) => Value::Float8(self.float_sum),
                other => other,
            },
            // PostgreSQL divides the exact sum by the count as `numeric / numeric`.
            AggFunc::Avg => match self.value {
                Value::Int2(_) | Value::Int4(_) | Value::Int8(_) => {
                    Value::Numeric(Numeric::from(self.int_sum).div(&Numeric::from(self.count))?)
                }
                Value::Numeric(sum) => Value::Numeric(sum.div(&Numeric::from(self.count))?),
                _ => Value::Float8(self.float_sum / self.count as f64),
            },
            AggFunc::Json(f) => f.finish(&self.items)?,
            AggFunc::ArrayAgg => {
                let element = self
                    .items
                    .iter()
                    .find_map(Value::data_type)
                    .unwrap_or(DataType::Text);
                Value::Array(Array::new(element, self.items)?)
            }
            _ => self.value,
        })
    }

    fn name(&self) -> &'static str {
        match self.func {
            AggFunc::Count => "count",
            AggFunc::Sum => "sum",
            AggFunc::Avg => "avg",
            AggFunc::Min => "min",
            AggFunc::Max => "max",
            AggFunc::BoolAnd => "bool_and",
            AggFunc::BoolOr => "bool_or",
            AggFunc::StringAgg => "string_agg",
            AggFunc::ArrayAgg => "array_agg",
            AggFunc::Grouping => "grouping",
            AggFunc::PercentileCont => "percentile_cont",
            AggFunc::PercentileDisc => "percentile_disc",
            AggFunc::Mode => "mode",
            AggFunc::Json(f) => f.name(),
        }
    }
}
