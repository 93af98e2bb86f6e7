//! `fjord storage random-uuid | format | info` (Kafka's `kafka-storage.sh`, `StorageTool`).

use std::io::Write;
use std::process::ExitCode;
use std::time::SystemTime;

use fjord_config::{FormatOptions, KafkaUuid, ServerConfig, format_storage, storage_info};

use crate::cli::{FormatArgs, StorageCommand};

/// Runs a storage command. Errors print to stderr and exit 1, as `StorageTool.main` does.
pub fn run(command: StorageCommand) -> ExitCode {
    match command {
        StorageCommand::RandomUuid => {
            println!("{}", KafkaUuid::random());
            ExitCode::SUCCESS
        }
        StorageCommand::Format(args) => match format(&args) {
            Ok(()) => ExitCode::SUCCESS,
            Err(message) => fail(&message),
        },
        StorageCommand::Info { config } => {
            let config = match crate::load_config(&config, &[]) {
                Ok(config) => config,
                Err(message) => return fail(&message),
            };
            let mut stdout = std::io::stdout().lock();
            match storage_info(&config, &mut stdout) {
                Ok(0) => ExitCode::SUCCESS,
                Ok(_) => ExitCode::FAILURE,
                Err(e) => fail(&e.to_string()),
            }
        }
    }
}

fn format(args: &FormatArgs) -> Result<(), String> {
    let config: ServerConfig = crate::load_config(&args.config, &[])?;
    let options = FormatOptions {
        cluster_id: args.cluster_id.clone(),
        ignore_formatted: args.ignore_formatted,
        standalone: args.standalone,
        release_version: args.release_version.clone(),
    };
    let mut stdout = std::io::stdout().lock();
    format_storage(
        &config,
        &options,
        SystemTime::now(),
        &mut KafkaUuid::random,
        &mut stdout,
    )
    .map_err(|e| e.to_string())?;
    stdout.flush().map_err(|e| e.to_string())
}

fn fail(message: &str) -> ExitCode {
    eprintln!("{message}");
    ExitCode::FAILURE
}
