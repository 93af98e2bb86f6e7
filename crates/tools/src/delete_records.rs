//! `kafka-delete-records.sh` (Kafka `org.apache.kafka.tools.DeleteRecordsCommand`): deletes
//! records before the offsets in `--offset-json-file`
//! (`{"partitions":[{"topic":"t","partition":0,"offset":3}],"version":1}`; offset -1 means the
//! high watermark) and prints each partition's new low watermark.

use std::collections::BTreeSet;
use std::io::Write;
use std::path::PathBuf;

use fjord_client::TopicPartition;

use crate::output::Output;
use crate::{ToolError, props};

/// `kafka-delete-records.sh` flags.
#[derive(Debug, Clone, Default, clap::Parser)]
#[command(
    name = "kafka-delete-records.sh",
    about = "This tool helps to delete records of the given partitions down to the specified offset."
)]
pub struct DeleteRecordsArgs {
    /// REQUIRED: The server to connect to.
    #[arg(
        long = "bootstrap-server",
        value_name = "server(s) to use for bootstrapping"
    )]
    pub bootstrap_server: Option<String>,
    /// REQUIRED: The JSON file with offset per partition.
    #[arg(long = "offset-json-file", value_name = "Offset json file path")]
    pub offset_json_file: Option<PathBuf>,
    /// A property file containing configs to be passed to Admin Client.
    #[arg(
        long = "command-config",
        value_name = "command config property file path"
    )]
    pub command_config: Option<PathBuf>,
}

/// Parses the offset JSON (`DeleteRecordsCommand.parseOffsetJsonStringWithoutDedup`) and
/// refuses duplicate partitions.
pub fn parse_offset_json(text: &str) -> Result<Vec<(TopicPartition, i64)>, ToolError> {
    let value: serde_json::Value = serde_json::from_str(text)
        .map_err(|e| ToolError::Command(format!("The input string is not a valid JSON: {e}")))?;
    if let Some(version) = value.get("version").and_then(serde_json::Value::as_i64)
        && version != 1
    {
        {
            return Err(ToolError::Command(format!(
                "Not supported version field value {version}"
            )));
        }
    }
    let partitions = value
        .get("partitions")
        .and_then(serde_json::Value::as_array)
        .ok_or_else(|| ToolError::Command("Missing partitions field".to_owned()))?;
    let mut out = Vec::new();
    for entry in partitions {
        let topic = entry.get("topic").and_then(serde_json::Value::as_str);
        let partition = entry.get("partition").and_then(serde_json::Value::as_i64);
        let offset = entry.get("offset").and_then(serde_json::Value::as_i64);
        match (topic, partition.and_then(|p| i32::try_from(p).ok()), offset) {
            (Some(topic), Some(partition), Some(offset)) => {
                out.push((
                    TopicPartition {
                        topic: topic.to_owned(),
                        partition,
                    },
                    offset,
                ));
            }
            _ => {
                return Err(ToolError::Command(format!(
                    "Invalid partition entry: {entry}"
                )));
            }
        }
    }
    let mut seen = BTreeSet::new();
    let duplicates: Vec<String> = out
        .iter()
        .filter(|(tp, _)| !seen.insert(tp.clone()))
        .map(|(tp, _)| tp.to_string())
        .collect();
    if !duplicates.is_empty() {
        return Err(ToolError::Command(format!(
            "Offset json file contains duplicate topic partitions: {}",
            duplicates.join(",")
        )));
    }
    Ok(out)
}

/// Runs `kafka-delete-records.sh`.
pub async fn run(args: DeleteRecordsArgs, output: &mut Output) -> u8 {
    match execute(&args, output).await {
        Ok(()) => 0,
        Err(error) => {
            match &error {
                ToolError::Client(_) | ToolError::Command(_) => {
                    let _ = writeln!(output.err, "{error}");
                }
                other => other.report("delete-records", output),
            }
            1
        }
    }
}

async fn execute(args: &DeleteRecordsArgs, output: &mut Output) -> Result<(), ToolError> {
    let (Some(bootstrap), Some(path)) = (&args.bootstrap_server, &args.offset_json_file) else {
        let missing = if args.bootstrap_server.is_none() {
            "bootstrap-server"
        } else {
            "offset-json-file"
        };
        return Err(ToolError::Usage(format!(
            "Missing required argument \"[{missing}]\""
        )));
    };
    let text = std::fs::read_to_string(path)
        .map_err(|e| ToolError::Illegal(anyhow::anyhow!("{}: {e}", path.display())))?;
    let partitions = parse_offset_json(&text)?;
    let mut admin = props::admin_client(Some(bootstrap), args.command_config.as_deref())
        .map_err(ToolError::Illegal)?;
    writeln!(output.out, "Executing records delete operation").map_err(ToolError::io)?;
    let results = admin.delete_records(&partitions).await?;
    writeln!(output.out, "Records delete operation completed:").map_err(ToolError::io)?;
    for (tp, result) in &results {
        match result {
            Ok(low_watermark) => writeln!(
                output.out,
                "partition: {tp}\tlow_watermark: {low_watermark}"
            ),
            Err(error) => writeln!(output.out, "partition: {tp}\terror: {error}"),
        }
        .map_err(ToolError::io)?;
    }
    Ok(())
}
