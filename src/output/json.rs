//! JSON export of result tables, like hyperfine's `--export-json`: one object per table with
//! its attributes, units, and rows as records (`pandas.DataFrame(t["rows"])`).

use super::{AttrValue, Table, Values};
use serde_json::{json, Map, Value};

fn number(x: f64) -> Value {
    // JSON has no NaN or infinity: undefined values become null.
    serde_json::Number::from_f64(x).map_or(Value::Null, Value::Number)
}

fn attr(value: &AttrValue) -> Value {
    match value {
        AttrValue::F64(x) => number(*x),
        AttrValue::U64(x) => json!(x),
        AttrValue::Str(s) => json!(s),
    }
}

fn cell(values: &Values, row: usize) -> Value {
    match values {
        Values::F64(v) => number(v[row]),
        Values::U64(v) => json!(v[row]),
        Values::Str(v) => json!(v[row]),
    }
}

/// The document: `{"context": {...}, "<table>": {"attributes", "units", "rows"}, ...}`.
pub fn document(provenance: &[(&str, AttrValue)], tables: &[Table]) -> Value {
    let mut doc = Map::new();
    doc.insert("context".into(), Value::Object(provenance.iter().map(|(k, v)| (k.to_string(), attr(v))).collect()));
    for table in tables {
        let attributes: Map<_, _> = table.attrs.iter().map(|(k, v)| (k.to_string(), attr(v))).collect();
        let units: Map<_, _> = table.columns.iter().map(|c| (c.name.to_string(), json!(c.units))).collect();
        let rows: Vec<Value> = (0..table.rows())
            .map(|r| Value::Object(table.columns.iter().map(|c| (c.name.to_string(), cell(&c.values, r))).collect()))
            .collect();
        // Objects' keys come out sorted: `columns` keeps the table's order.
        let columns: Vec<&str> = table.columns.iter().map(|c| c.name).collect();
        doc.insert(
            table.name.into(),
            json!({ "attributes": attributes, "units": units, "columns": columns, "rows": rows }),
        );
    }
    Value::Object(doc)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_are_records_and_nan_is_null() {
        let mut t = Table::new("demo");
        t.column("n", "1", Values::U64(vec![1, 2]))
            .column("time_s", "s", Values::F64(vec![2.0, f64::NAN]))
            .attr("kernel", AttrValue::Str("sleep".into()));
        let doc = document(&[("world_size", AttrValue::U64(2))], &[t]);
        assert_eq!(doc["context"]["world_size"], 2);
        assert_eq!(doc["demo"]["units"]["time_s"], "s");
        assert_eq!(doc["demo"]["rows"][0]["time_s"], 2.0);
        assert!(doc["demo"]["rows"][1]["time_s"].is_null());
        assert_eq!(doc["demo"]["attributes"]["kernel"], "sleep");
        assert_eq!(doc["demo"]["columns"], json!(["n", "time_s"]));
    }
}
