//! The PostgreSQL protocol of one connection, on `pgwire`: simple and
//! extended queries run by the connection's session, their results
//! encoded as RowDescription and DataRows, errors as ErrorResponse with
//! their SQLSTATE.

use std::fmt::Debug;
use std::sync::{Arc, OnceLock};

use async_trait::async_trait;
use bytes::{Bytes, BytesMut};
use futures::{Sink, SinkExt, stream};
use pgwire::api::copy::{CopyHandler, send_copy_in_response, send_copy_out_response};
use pgwire::api::portal::{Format, Portal};
use pgwire::api::query::{
    ExtendedQueryHandler, SimpleQueryHandler, send_execution_response, send_query_response,
    send_ready_for_query,
};
use pgwire::api::results::{
    CopyResponse, DescribePortalResponse, DescribeStatementResponse, FieldFormat, FieldInfo,
    QueryResponse, Response, Tag,
};
use pgwire::api::stmt::{QueryParser, StoredStatement};
use pgwire::api::store::PortalStore;
use pgwire::api::{ClientInfo, ClientPortalStore, PgWireConnectionState, Type};
use pgwire::error::{ErrorInfo, PgWireError, PgWireResult};
use pgwire::messages::PgWireBackendMessage;
use pgwire::messages::copy::{CopyData, CopyDone, CopyFail};
use pgwire::messages::data::DataRow;
use pgwire::messages::extendedquery::Execute;
use pgwire::messages::response::{EmptyQueryResponse, TransactionStatus};
use pgwire::messages::simplequery::Query;

use driftdb_engine::value::{DataType, Value};
use driftdb_sql::bind::Column;
use driftdb_sql::error::SqlError;
use driftdb_sql::exec::Output;
use driftdb_sql::session::{BlockStatus, Prepared};

use crate::Admission;
use crate::codec::{decode_param, pg_type, put_field, type_modifier, type_size};
use crate::worker::{Worker, WorkerError};

/// The state of one connection: its place among the admitted ones and its
/// session, once startup made them.
#[derive(Default)]
pub struct Connection<'s> {
    worker: OnceLock<Worker<'s>>,
    admission: OnceLock<Admission>,
}

impl<'s> Connection<'s> {
    /// Gives the connection its admission and the session startup made
    /// for it.
    pub fn attach(&self, admission: Admission, worker: Worker<'s>) {
        // Startup runs once per connection; a second one is dropped.
        let _ = self.admission.set(admission);
        let _ = self.worker.set(worker);
    }

    /// Files the connection's cancel key under `pid` (forgotten at close).
    pub fn set_pid(&self, pid: i32) {
        if let Some(a) = self.admission.get() {
            a.set_pid(pid);
        }
    }

    /// The session, once authentication made it.
    pub fn worker(&self) -> PgWireResult<&Worker<'s>> {
        self.worker.get().ok_or_else(|| {
            user_error(&SqlError::new(
                "08P01",
                "a query arrived before authentication finished",
            ))
        })
    }
}

/// The protocol handlers of one connection.
pub struct Handler<'s> {
    conn: Arc<Connection<'s>>,
    parser: Arc<StatementParser<'s>>,
}

impl<'s> Handler<'s> {
    /// Handlers over `conn`.
    pub fn new(conn: Arc<Connection<'s>>) -> Self {
        Handler {
            parser: Arc::new(StatementParser { conn: conn.clone() }),
            conn,
        }
    }
}

/// Parses the statements of Parse messages in the connection's session.
pub struct StatementParser<'s> {
    conn: Arc<Connection<'s>>,
}

/// `SqlError` as the error pgwire sends: an ErrorResponse with the SQLSTATE.
pub fn user_error(e: &SqlError) -> PgWireError {
    PgWireError::UserError(Box::new(error_info(e)))
}

/// The ErrorResponse fields of `e`.
fn error_info(e: &SqlError) -> ErrorInfo {
    ErrorInfo::new("ERROR".into(), e.sqlstate.into(), e.message.clone())
}

/// A session's answer as pgwire's result: the statement's error, or the
/// session's own.
fn answered<T>(answer: Result<Result<T, SqlError>, WorkerError>) -> PgWireResult<T> {
    answer.map_err(|e| gone(&e))?.map_err(|e| user_error(&e))
}

/// A session that is gone, as a protocol error.
fn gone(e: &WorkerError) -> PgWireError {
    user_error(&SqlError::new("57P01", e.to_string()))
}

/// The ReadyForQuery status of a session.
fn transaction_status(status: BlockStatus) -> TransactionStatus {
    match status {
        BlockStatus::Idle => TransactionStatus::Idle,
        BlockStatus::InBlock => TransactionStatus::Transaction,
        BlockStatus::Failed => TransactionStatus::Error,
    }
}

/// Whether result column `idx` is sent in binary; fails when the Bind gave
/// a format list whose length is neither 0, 1 nor the column count.
fn binary_columns(format: &Format, columns: usize) -> PgWireResult<Vec<bool>> {
    match format {
        Format::UnifiedText => Ok(vec![false; columns]),
        Format::UnifiedBinary => Ok(vec![true; columns]),
        Format::Individual(codes) if codes.len() == columns => {
            Ok(codes.iter().map(|c| *c == 1).collect())
        }
        Format::Individual(codes) => Err(user_error(&SqlError::new(
            "08P01",
            format!(
                "bind message has {} result formats but query has {columns} columns",
                codes.len()
            ),
        ))),
    }
}

/// RowDescription fields of `columns`, each in the format given.
fn fields(columns: &[Column], binary: &[bool]) -> Vec<FieldInfo> {
    columns
        .iter()
        .zip(binary)
        .map(|((name, t), bin)| {
            let format = if *bin {
                FieldFormat::Binary
            } else {
                FieldFormat::Text
            };
            FieldInfo::new(name.clone(), None, None, pg_type(*t), format)
                .with_type_modifier(type_modifier(*t))
                .with_type_size(type_size(*t))
        })
        .collect()
}

/// Rows as a query response over `schema`, each field in the format
/// `binary` gives it.
fn rows_response(
    command: &str,
    schema: Arc<Vec<FieldInfo>>,
    binary: Vec<bool>,
    rows: Vec<Vec<Value>>,
) -> QueryResponse {
    let count = i16::try_from(binary.len()).unwrap_or(i16::MAX);
    let encoded = rows.into_iter().map(move |row| {
        let mut data = BytesMut::with_capacity(ROW_BYTES);
        for (v, bin) in row.iter().zip(&binary) {
            put_field(&mut data, v, *bin);
        }
        Ok(DataRow::new(data, count))
    });
    let mut response = QueryResponse::new(schema, stream::iter(encoded));
    response.set_command_tag(command);
    response
}

/// What a DataRow's buffer starts with room for: most rows fit, and a
/// larger one grows it.
const ROW_BYTES: usize = 128;

/// An output as the response to send for it. `row_description`: whether
/// its rows are preceded by a RowDescription (a simple query's); an
/// extended query's Execute sends none (its client asked with Describe), so
/// its fields are not made.
fn response(output: Output, format: &Format, row_description: bool) -> PgWireResult<Response> {
    match output {
        Output::CopyIn { columns } => Ok(Response::CopyIn(CopyResponse::new(
            0,
            columns,
            stream::empty(),
        ))),
        Output::CopyOut {
            columns,
            mut lines,
            rows,
        } => {
            // pgwire counts the rows of `COPY n` by CopyData messages: a CSV
            // header goes out in one message with the first row.
            if lines.len() > rows && rows > 0 {
                let header = lines.remove(0);
                lines[0].insert_str(0, &header);
            }
            let messages = lines;
            let data = messages
                .into_iter()
                .map(|m| Ok(CopyData::new(Bytes::from(m.into_bytes()))));
            Ok(Response::CopyOut(CopyResponse::new(
                0,
                columns,
                stream::iter(data),
            )))
        }
        Output::Command(tag) => Ok(Response::Execution(Tag::new(&tag))),
        Output::Rows {
            columns,
            rows,
            command,
        } => {
            let binary = binary_columns(format, columns.len())?;
            let schema = Arc::new(if row_description {
                fields(&columns, &binary)
            } else {
                Vec::new()
            });
            Ok(Response::Query(rows_response(
                command, schema, binary, rows,
            )))
        }
    }
}

/// The Bind parameters of `portal` as values, read as the types the Parse
/// message gave (one it left untyped as the type the statement implies, as
/// PostgreSQL infers it at Parse; text where nothing implies one); one that
/// cannot be read fails the session's open block.
fn portal_params(worker: &Worker<'_>, portal: &Portal<Arc<Prepared>>) -> PgWireResult<Vec<Value>> {
    let declared = &portal.statement.parameter_types;
    let binary = |i: usize| match &portal.parameter_format {
        Format::UnifiedText => false,
        Format::UnifiedBinary => true,
        Format::Individual(codes) => codes.get(i).is_some_and(|c| *c == 1),
    };
    let implied = if (0..portal.parameters.len()).any(|i| declared_type(declared, i).is_none()) {
        Some(answered(
            worker.describe(&portal.statement.statement, None),
        )?)
    } else {
        None
    };
    let decoded: PgWireResult<Vec<Value>> = portal
        .parameters
        .iter()
        .enumerate()
        .map(|(i, bytes)| {
            let ty = match &implied {
                Some(implied) => param_type(declared, &implied.params, i),
                None => declared.get(i).cloned().flatten(),
            };
            let value = decode_param(bytes.as_deref(), ty.as_ref(), binary(i));
            match value {
                // Text the implied type cannot read stays an untyped
                // literal: where it is used decides (and reports) its type.
                Err(_) if !binary(i) && declared_type(declared, i).is_none() => {
                    decode_param(bytes.as_deref(), None, false)
                }
                other => other,
            }
            .map_err(|e| user_error(&e))
        })
        .collect();
    if decoded.is_err() {
        worker.fail().map_err(|e| gone(&e))?;
    }
    decoded
}

/// The type the Parse message declared for parameter `i` (unknown counts
/// as none).
fn declared_type(declared: &[Option<Type>], i: usize) -> Option<Type> {
    declared
        .get(i)
        .cloned()
        .flatten()
        .filter(|t| *t != Type::UNKNOWN)
}

/// The type of parameter `i`: the one the Parse message declared, else the
/// one its place in the statement implies.
fn param_type(declared: &[Option<Type>], implied: &[Option<DataType>], i: usize) -> Option<Type> {
    declared_type(declared, i)
        .or_else(|| implied.get(i).copied().flatten().map(|t| pg_type(Some(t))))
}

#[async_trait]
impl QueryParser for StatementParser<'_> {
    type Statement = Arc<Prepared>;

    async fn parse_sql<C>(
        &self,
        _client: &C,
        sql: &str,
        _types: &[Option<Type>],
    ) -> PgWireResult<Option<Self::Statement>>
    where
        C: ClientInfo + Unpin + Send + Sync,
    {
        let worker = self.conn.worker()?;
        match worker.parse(sql) {
            Ok(Ok(prepared)) => Ok(Some(Arc::new(prepared))),
            Ok(Err(e)) => Err(user_error(&e)),
            Err(e) => Err(gone(&e)),
        }
    }

    /// Parameter types come from the session at Describe
    /// (`Handler::do_describe_statement`), which binds the statement against
    /// the catalog; nothing is known from the text alone.
    fn get_parameter_types(&self, _stmt: &Self::Statement) -> PgWireResult<Vec<Type>> {
        Ok(Vec::new())
    }

    /// Result columns come from the session at Describe, as parameter types do.
    fn get_result_schema(
        &self,
        _stmt: &Self::Statement,
        _column_format: Option<&Format>,
    ) -> PgWireResult<Vec<FieldInfo>> {
        Ok(Vec::new())
    }
}

#[async_trait]
impl SimpleQueryHandler for Handler<'_> {
    /// Runs a simple query's statements in order and answers each; the
    /// ReadyForQuery that ends it carries the session's own block status.
    async fn on_query<C>(&self, client: &mut C, query: Query) -> PgWireResult<()>
    where
        C: ClientInfo + ClientPortalStore + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::PortalStore: PortalStore,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        if !matches!(client.state(), PgWireConnectionState::ReadyForQuery) {
            return Err(PgWireError::NotReadyForQuery);
        }
        client.set_state(PgWireConnectionState::QueryInProgress);
        let worker = self.conn.worker()?;
        if query.query.chars().all(|c| c == ';' || c.is_whitespace()) {
            client
                .feed(PgWireBackendMessage::EmptyQueryResponse(
                    EmptyQueryResponse::new(),
                ))
                .await?;
        } else {
            let outcomes = worker.simple(&query.query).map_err(|e| gone(&e))?;
            for outcome in outcomes {
                match outcome
                    .map_err(|e| user_error(&e))
                    .and_then(|out| response(out, &Format::UnifiedText, true))
                {
                    Ok(Response::Query(rows)) => send_query_response(client, rows, true).await?,
                    Ok(Response::Execution(tag)) => send_execution_response(client, tag).await?,
                    Ok(Response::CopyOut(copy)) => send_copy_out_response(client, copy).await?,
                    Ok(Response::CopyIn(copy)) => {
                        // The data comes next, to `CopyHandler`; pgwire sends
                        // the ReadyForQuery when the COPY ends.
                        send_copy_in_response(client, copy).await?;
                        client.set_state(PgWireConnectionState::CopyInProgress(false));
                        return Ok(());
                    }
                    Ok(_) => {}
                    Err(e) => {
                        let info: ErrorInfo = e.into();
                        client
                            .feed(PgWireBackendMessage::ErrorResponse(info.into()))
                            .await?;
                    }
                }
            }
        }
        let status = transaction_status(worker.status());
        client.set_state(PgWireConnectionState::ReadyForQuery);
        client.set_transaction_status(status);
        send_ready_for_query(client, status).await
    }

    async fn do_query<C>(&self, _client: &mut C, _query: &str) -> PgWireResult<Vec<Response>>
    where
        C: ClientInfo + ClientPortalStore + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::PortalStore: PortalStore,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        // `on_query` above answers simple queries itself.
        Err(PgWireError::NotReadyForQuery)
    }
}

#[async_trait]
impl CopyHandler for Handler<'_> {
    async fn on_copy_data<C>(&self, _client: &mut C, data: CopyData) -> PgWireResult<()>
    where
        C: ClientInfo + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        let worker = self.conn.worker()?;
        worker.copy_data(&data.data).map_err(|e| gone(&e))
    }

    /// Ends the COPY with `COPY n` (pgwire sends the ReadyForQuery, with
    /// the status left here).
    async fn on_copy_done<C>(&self, client: &mut C, _done: CopyDone) -> PgWireResult<()>
    where
        C: ClientInfo + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        let worker = self.conn.worker()?;
        let done = worker.copy_done();
        client.set_transaction_status(transaction_status(worker.status()));
        match answered(done)? {
            Output::Command(tag) => {
                client
                    .send(PgWireBackendMessage::CommandComplete(Tag::new(&tag).into()))
                    .await?;
                Ok(())
            }
            _ => Err(user_error(&SqlError::new(
                "XX000",
                "COPY ended without a tag",
            ))),
        }
    }

    async fn on_copy_fail<C>(&self, client: &mut C, fail: CopyFail) -> PgWireError
    where
        C: ClientInfo + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        let worker = match self.conn.worker() {
            Ok(w) => w,
            Err(e) => return e,
        };
        let error = match worker.copy_fail(&fail.message) {
            Ok(e) => user_error(&e),
            Err(e) => gone(&e),
        };
        client.set_transaction_status(transaction_status(worker.status()));
        error
    }
}

#[async_trait]
impl<'s> ExtendedQueryHandler for Handler<'s> {
    type Statement = Arc<Prepared>;
    type QueryParser = StatementParser<'s>;

    fn query_parser(&self) -> Arc<Self::QueryParser> {
        self.parser.clone()
    }

    /// Runs the portal as pgwire does, then leaves the session's own block
    /// status for the next ReadyForQuery (pgwire cannot tell a `ROLLBACK TO`
    /// that clears a failed block).
    async fn on_execute<C>(&self, client: &mut C, message: Execute) -> PgWireResult<()>
    where
        C: ClientInfo + ClientPortalStore + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::PortalStore: PortalStore<Statement = Self::Statement>,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        let result = self._on_execute(client, message).await;
        if let Ok(worker) = self.conn.worker() {
            client.set_transaction_status(transaction_status(worker.status()));
        }
        result
    }

    async fn do_describe_statement<C>(
        &self,
        _client: &mut C,
        target: &StoredStatement<Self::Statement>,
    ) -> PgWireResult<DescribeStatementResponse>
    where
        C: ClientInfo + ClientPortalStore + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::PortalStore: PortalStore<Statement = Self::Statement>,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        let worker = self.conn.worker()?;
        let description = answered(worker.describe(&target.statement, None))?;
        let count = description.params.len().max(target.parameter_types.len());
        // The type the Parse message declared, else the one the statement
        // implies, else text.
        let params = (0..count)
            .map(|i| {
                param_type(&target.parameter_types, &description.params, i).unwrap_or(Type::TEXT)
            })
            .collect();
        let columns = description.columns.as_deref().unwrap_or_default();
        let fields = fields(columns, &vec![false; columns.len()]);
        Ok(DescribeStatementResponse::new(params, fields))
    }

    async fn do_describe_portal<C>(
        &self,
        _client: &mut C,
        portal: &Portal<Self::Statement>,
    ) -> PgWireResult<DescribePortalResponse>
    where
        C: ClientInfo + ClientPortalStore + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::PortalStore: PortalStore<Statement = Self::Statement>,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        let worker = self.conn.worker()?;
        let params = portal_params(worker, portal)?;
        let description = answered(worker.describe(&portal.statement.statement, Some(&params)))?;
        let columns = description.columns.as_deref().unwrap_or_default();
        let binary = binary_columns(&portal.result_column_format, columns.len())?;
        Ok(DescribePortalResponse::new(fields(columns, &binary)))
    }

    async fn do_query<C>(
        &self,
        _client: &mut C,
        portal: &Portal<Self::Statement>,
        _max_rows: usize,
    ) -> PgWireResult<Response>
    where
        C: ClientInfo + ClientPortalStore + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::PortalStore: PortalStore<Statement = Self::Statement>,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        let worker = self.conn.worker()?;
        let params = portal_params(worker, portal)?;
        let output = answered(worker.execute(&portal.statement.statement, &params))?;
        response(output, &portal.result_column_format, false)
    }
}
