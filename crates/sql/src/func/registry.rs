//! The function library's one registry: each string, math, date/time and
//! UUID function's name, how many arguments it takes, whether it is strict
//! (NULL in, NULL out, without running) and whether it is volatile (never
//! a constant). The binder resolves names and arities here, the executor
//! calls through it, and `pg_proc` lists its names.

use driftdb_engine::value::{DataType, Value};

use super::datetime::TimeFunc;
use super::math::MathFunc;
use super::string::StrFunc;
use crate::error::Result;
use crate::expr::{Env, Expr};

/// A library function, by area.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LibFunc {
    /// A string function (`substring`, `replace`, `format` …).
    Str(StrFunc),
    /// A math function (`round`, `sqrt`, `random` …).
    Math(MathFunc),
    /// A date/time function (`now`, `date_trunc`, `to_char` …).
    Time(TimeFunc),
}

/// One registry entry.
#[derive(Debug, PartialEq, Eq)]
pub struct Builtin {
    /// The SQL name (lower case).
    pub name: &'static str,
    /// What it runs.
    pub func: LibFunc,
    /// Fewest arguments.
    pub min_args: usize,
    /// Most arguments (`usize::MAX`: any number).
    pub max_args: usize,
    /// NULL for any NULL argument, as PostgreSQL's strict functions.
    pub strict: bool,
    /// A new value at every call (`random()`), so never folded.
    pub volatile: bool,
    /// The parameters' names, for calls with named arguments (empty: only
    /// positional ones).
    pub params: &'static [&'static str],
}

const ANY: usize = usize::MAX;

const fn f(name: &'static str, func: LibFunc, min_args: usize, max_args: usize) -> Builtin {
    Builtin {
        name,
        func,
        min_args,
        max_args,
        strict: true,
        volatile: false,
        params: &[],
    }
}

/// A function whose arguments may be named (`make_interval(days => 1)`).
const fn named(b: Builtin, params: &'static [&'static str]) -> Builtin {
    Builtin { params, ..b }
}

/// A function that sees its NULL arguments (`concat`, `format`).
const fn lax(name: &'static str, func: LibFunc, min_args: usize, max_args: usize) -> Builtin {
    Builtin {
        strict: false,
        ..f(name, func, min_args, max_args)
    }
}

/// A volatile function (`random()`, `clock_timestamp()`).
const fn volatile(name: &'static str, func: LibFunc, min_args: usize, max_args: usize) -> Builtin {
    Builtin {
        volatile: true,
        ..f(name, func, min_args, max_args)
    }
}

use LibFunc::{Math as M, Str as S, Time as T};

/// Every library function, sorted by name.
pub static BUILTINS: &[Builtin] = &[
    f("acos", M(MathFunc::Acos), 1, 1),
    f("age", T(TimeFunc::Age), 1, 2),
    f("ascii", S(StrFunc::Ascii), 1, 1),
    f("asin", M(MathFunc::Asin), 1, 1),
    f("atan", M(MathFunc::Atan), 1, 1),
    f("atan2", M(MathFunc::Atan2), 2, 2),
    f("bit_length", S(StrFunc::BitLength), 1, 1),
    f("btrim", S(StrFunc::Btrim), 1, 2),
    f("cbrt", M(MathFunc::Cbrt), 1, 1),
    f("ceil", M(MathFunc::Ceil), 1, 1),
    f("ceiling", M(MathFunc::Ceil), 1, 1),
    f("chr", S(StrFunc::Chr), 1, 1),
    volatile("clock_timestamp", T(TimeFunc::ClockTimestamp), 0, 0),
    lax("concat", S(StrFunc::Concat), 1, ANY),
    lax("concat_ws", S(StrFunc::ConcatWs), 1, ANY),
    f("cos", M(MathFunc::Cos), 1, 1),
    f("current_date", T(TimeFunc::CurrentDate), 0, 0),
    f("current_time", T(TimeFunc::CurrentTime), 0, 1),
    f("current_timestamp", T(TimeFunc::Now), 0, 1),
    f("date_bin", T(TimeFunc::DateBin), 3, 3),
    f("date_part", T(TimeFunc::DatePart), 2, 2),
    f("date_trunc", T(TimeFunc::DateTrunc), 2, 2),
    f("decode", S(StrFunc::Decode), 2, 2),
    f("degrees", M(MathFunc::Degrees), 1, 1),
    f("div", M(MathFunc::Div), 2, 2),
    f("encode", S(StrFunc::Encode), 2, 2),
    f("exp", M(MathFunc::Exp), 1, 1),
    f("extract", T(TimeFunc::Extract), 2, 2),
    f("floor", M(MathFunc::Floor), 1, 1),
    lax("format", S(StrFunc::Format), 1, ANY),
    f("gcd", M(MathFunc::Gcd), 2, 2),
    volatile("gen_random_uuid", M(MathFunc::GenRandomUuid), 0, 0),
    f("initcap", S(StrFunc::Initcap), 1, 1),
    f("justify_days", T(TimeFunc::JustifyDays), 1, 1),
    f("justify_hours", T(TimeFunc::JustifyHours), 1, 1),
    f("justify_interval", T(TimeFunc::JustifyInterval), 1, 1),
    f("lcm", M(MathFunc::Lcm), 2, 2),
    f("left", S(StrFunc::Left), 2, 2),
    f("ln", M(MathFunc::Ln), 1, 1),
    f("localtime", T(TimeFunc::LocalTime), 0, 1),
    f("localtimestamp", T(TimeFunc::LocalTimestamp), 0, 1),
    f("log", M(MathFunc::Log), 1, 2),
    f("log10", M(MathFunc::Log10), 1, 1),
    f("lpad", S(StrFunc::Lpad), 2, 3),
    f("ltrim", S(StrFunc::Ltrim), 1, 2),
    named(
        f("make_date", T(TimeFunc::MakeDate), 3, 3),
        &["year", "month", "day"],
    ),
    named(
        f("make_interval", T(TimeFunc::MakeInterval), 0, 7),
        &["years", "months", "weeks", "days", "hours", "mins", "secs"],
    ),
    named(
        f("make_timestamp", T(TimeFunc::MakeTimestamp), 6, 6),
        &["year", "month", "mday", "hour", "min", "sec"],
    ),
    f("md5", S(StrFunc::Md5), 1, 1),
    f("mod", M(MathFunc::Mod), 2, 2),
    f("now", T(TimeFunc::Now), 0, 0),
    f("octet_length", S(StrFunc::OctetLength), 1, 1),
    f("overlay", S(StrFunc::Overlay), 3, 4),
    f("pi", M(MathFunc::Pi), 0, 0),
    f("position", S(StrFunc::Strpos), 2, 2),
    f("pow", M(MathFunc::Power), 2, 2),
    f("power", M(MathFunc::Power), 2, 2),
    f("quote_literal", S(StrFunc::QuoteLiteral), 1, 1),
    lax("quote_nullable", S(StrFunc::QuoteNullable), 1, 1),
    f("radians", M(MathFunc::Radians), 1, 1),
    volatile("random", M(MathFunc::Random), 0, 0),
    f("regexp_match", S(StrFunc::RegexpMatch), 2, 3),
    f("regexp_replace", S(StrFunc::RegexpReplace), 3, 4),
    f(
        "regexp_split_to_array",
        S(StrFunc::RegexpSplitToArray),
        2,
        3,
    ),
    f("repeat", S(StrFunc::Repeat), 2, 2),
    f("replace", S(StrFunc::Replace), 3, 3),
    f("reverse", S(StrFunc::Reverse), 1, 1),
    f("right", S(StrFunc::Right), 2, 2),
    f("round", M(MathFunc::Round), 1, 2),
    f("rpad", S(StrFunc::Rpad), 2, 3),
    f("rtrim", S(StrFunc::Rtrim), 1, 2),
    f("scale", M(MathFunc::Scale), 1, 1),
    volatile("setseed", M(MathFunc::Setseed), 1, 1),
    f("sha256", S(StrFunc::Sha256), 1, 1),
    f("sign", M(MathFunc::Sign), 1, 1),
    f("sin", M(MathFunc::Sin), 1, 1),
    f("split_part", S(StrFunc::SplitPart), 3, 3),
    f("sqrt", M(MathFunc::Sqrt), 1, 1),
    f("starts_with", S(StrFunc::StartsWith), 2, 2),
    f("statement_timestamp", T(TimeFunc::StatementTimestamp), 0, 0),
    lax("string_to_array", S(StrFunc::StringToArray), 2, 3),
    f("strpos", S(StrFunc::Strpos), 2, 2),
    f("substr", S(StrFunc::Substring), 2, 3),
    f("substring", S(StrFunc::Substring), 2, 3),
    f("tan", M(MathFunc::Tan), 1, 1),
    f("timezone", T(TimeFunc::Timezone), 2, 2),
    f("to_char", T(TimeFunc::ToChar), 2, 2),
    f("to_date", T(TimeFunc::ToDate), 2, 2),
    f("to_hex", S(StrFunc::ToHex), 1, 1),
    f("to_timestamp", T(TimeFunc::ToTimestamp), 1, 2),
    f("transaction_timestamp", T(TimeFunc::Now), 0, 0),
    f("translate", S(StrFunc::Translate), 3, 3),
    f("trunc", M(MathFunc::Trunc), 1, 2),
    f("width_bucket", M(MathFunc::WidthBucket), 4, 4),
];

/// The library function called `name` (lower case), if there is one.
pub fn lookup(name: &str) -> Option<&'static Builtin> {
    BUILTINS
        .binary_search_by(|b| b.name.cmp(name))
        .ok()
        .and_then(|i| BUILTINS.get(i))
}

/// The names of every function DriftDB has: the library's and the
/// catalog's, sorted and without duplicates (the rows of `pg_proc`).
pub fn all_names() -> Vec<&'static str> {
    let mut names: Vec<&'static str> = BUILTINS
        .iter()
        .map(|b| b.name)
        .chain(crate::system::functions::NAMES.iter().copied())
        .collect();
    names.sort_unstable();
    names.dedup();
    names
}

impl Builtin {
    /// Whether `n` arguments are accepted.
    pub fn accepts(&self, n: usize) -> bool {
        (self.min_args..=self.max_args).contains(&n)
    }

    /// The result type for arguments of types `args` (`None`: known only
    /// when it runs).
    pub fn result_type(&self, args: &[Option<DataType>]) -> Option<DataType> {
        match self.func {
            LibFunc::Str(s) => s.result_type(args),
            LibFunc::Math(m) => m.result_type(args),
            LibFunc::Time(t) => t.result_type(args),
        }
    }
}

/// The value of library function `b` over `args` for `row`.
pub fn call(b: &Builtin, args: &[Expr], row: &[Value], env: &Env<'_, '_>) -> Result<Value> {
    let values = args
        .iter()
        .map(|a| a.eval(row, env))
        .collect::<Result<Vec<_>>>()?;
    if b.strict && values.iter().any(Value::is_null) {
        return Ok(Value::Null);
    }
    match b.func {
        LibFunc::Str(s) => super::string::call(s, b.name, &values),
        LibFunc::Math(m) => super::math::call(m, b.name, &values),
        LibFunc::Time(t) => super::datetime::call(t, b.name, &values, env),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_registry_is_sorted_so_lookup_finds_every_name() {
        assert!(BUILTINS.windows(2).all(|w| w[0].name < w[1].name));
        assert!(BUILTINS.iter().all(|b| lookup(b.name) == Some(b)));
        assert_eq!(lookup("no_such_function"), None);
    }
}
