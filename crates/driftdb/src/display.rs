//! Results printed as psql's aligned format: headers centred, numbers
//! right-aligned, text left-aligned, NULL empty, `(N rows)` after.

use driftdb_engine::text::format_text;
use driftdb_engine::value::DataType;
use driftdb_sql::exec::Output;

/// The text psql would print for `output`.
pub fn render(output: &Output) -> String {
    match output {
        Output::Command(tag) => format!("{tag}\n"),
        Output::Rows { columns, rows, .. } => table(columns, rows),
        Output::CopyOut { lines, .. } => lines.concat(),
        Output::CopyIn { .. } => {
            "COPY FROM STDIN: no data followed the statement (put the rows after it, ended by a line \\.)\n".into()
        }
    }
}

fn right_aligned(t: Option<DataType>) -> bool {
    matches!(
        t,
        Some(
            DataType::Int2
                | DataType::Int4
                | DataType::Int8
                | DataType::Numeric(_)
                | DataType::Float4
                | DataType::Float8
        )
    )
}

fn table(
    columns: &[(String, Option<DataType>)],
    rows: &[Vec<driftdb_engine::value::Value>],
) -> String {
    let cells: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            r.iter()
                .map(|v| format_text(v).unwrap_or_default())
                .collect()
        })
        .collect();
    let width = |i: usize| {
        let header = columns[i].0.chars().count();
        cells
            .iter()
            .map(|r| r[i].chars().count())
            .fold(header, usize::max)
    };
    let widths: Vec<usize> = (0..columns.len()).map(width).collect();
    let mut out = String::new();
    let header: Vec<String> = columns
        .iter()
        .zip(&widths)
        .map(|((name, _), w)| {
            let pad = w - name.chars().count();
            format!(
                " {}{name}{} ",
                " ".repeat(pad / 2),
                " ".repeat(pad - pad / 2)
            )
        })
        .collect();
    out.push_str(&header.join("|"));
    out.push('\n');
    let rule: Vec<String> = widths.iter().map(|w| "-".repeat(w + 2)).collect();
    out.push_str(&rule.join("+"));
    out.push('\n');
    for row in &cells {
        let last = row.len().saturating_sub(1);
        let line: Vec<String> = row
            .iter()
            .enumerate()
            .map(|(i, cell)| {
                let pad = " ".repeat(widths[i] - cell.chars().count());
                match (right_aligned(columns[i].1), i == last) {
                    (true, _) if i == last => format!(" {pad}{cell}"),
                    (true, _) => format!(" {pad}{cell} "),
                    (false, true) => format!(" {cell}"),
                    (false, false) => format!(" {cell}{pad} "),
                }
            })
            .collect();
        out.push_str(&line.join("|"));
        out.push('\n');
    }
    let n = rows.len();
    out.push_str(&format!(
        "({n} {})\n\n",
        if n == 1 { "row" } else { "rows" }
    ));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use driftdb_engine::value::Value;

    #[test]
    fn matches_psql_aligned_output() {
        let columns = vec![
            ("id".to_string(), Some(DataType::Int4)),
            ("name".to_string(), Some(DataType::Text)),
            ("v".to_string(), Some(DataType::Float8)),
        ];
        let rows = vec![
            vec![
                Value::Int4(1),
                Value::Text("ann".into()),
                Value::Float8(1.5),
            ],
            vec![Value::Int4(22), Value::Null, Value::Null],
        ];
        // What psql 15 printed for the same rows.
        let want = " id | name |  v  \n----+------+-----\n  1 | ann  | 1.5\n 22 |      |    \n(2 rows)\n\n";
        assert_eq!(
            render(&Output::Rows {
                columns,
                rows,
                command: "SELECT"
            }),
            want
        );
        let empty = Output::Rows {
            columns: vec![("?column?".into(), Some(DataType::Int4))],
            rows: vec![],
            command: "SELECT",
        };
        assert_eq!(render(&empty), " ?column? \n----------\n(0 rows)\n\n");
    }
}
