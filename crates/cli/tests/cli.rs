//! Goal: the real `fjord` binary behaves like Kafka's `kafka-storage.sh`,
//! `kafka-server-start.sh` and `kafka-server-stop.sh` for an operator: same outputs, messages
//! and exit codes.
//! Method: run the built binary with `assert_cmd` against temporary directories and configs;
//! servers bind 127.0.0.1 on a port taken from binding 127.0.0.1:0, and are stopped by PID.

// Test helpers outside #[test] functions unwrap too: a failure there is a test failure.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Read;
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use assert_cmd::cargo::CommandCargoExt;

fn fjord() -> Command {
    let mut cmd = Command::cargo_bin("fjord").unwrap();
    cmd.env_remove("FJORD_LOG");
    cmd
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Writes a combined-mode config (Kafka's config/kraft/server.properties shape) with its data
/// under `dir` and listeners on the given ports.
fn write_config(dir: &Path, node_id: i32, client_port: u16, controller_port: u16) -> PathBuf {
    let path = dir.join("server.properties");
    let text = format!(
        "process.roles=broker,controller\nnode.id={node_id}\ncontroller.quorum.voters={node_id}@127.0.0.1:{controller_port}\n\
         listeners=PLAINTEXT://127.0.0.1:{client_port},CONTROLLER://127.0.0.1:{controller_port}\n\
         controller.listener.names=CONTROLLER\nlog.dirs={}\n",
        dir.join("data").display()
    );
    std::fs::write(&path, text).unwrap();
    path
}

fn run(cmd: &mut Command) -> (i32, String, String) {
    let out = cmd.output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

fn format(config: &Path, cluster_id: &str, extra: &[&str]) -> (i32, String, String) {
    run(fjord()
        .args(["storage", "format", "-t", cluster_id, "-c"])
        .arg(config)
        .args(extra))
}

/// Kills a child by PID if it is still running when the test ends.
struct ServerGuard(Child);

impl Drop for ServerGuard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn wait_exit(child: &mut Child, within: Duration) -> Option<std::process::ExitStatus> {
    let deadline = Instant::now() + within;
    while Instant::now() < deadline {
        if let Some(status) = child.try_wait().unwrap() {
            return Some(status);
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    None
}

fn wait_connect(port: u16, within: Duration) -> bool {
    let deadline = Instant::now() + within;
    while Instant::now() < deadline {
        if TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    false
}

#[test]
fn random_uuid_prints_a_22_char_base64url_uuid() {
    // Kafka's StorageTool random-uuid prints Uuid.randomUuid (base64url, no padding).
    let (code, out, _) = run(fjord().args(["storage", "random-uuid"]));
    assert_eq!(code, 0);
    let id = out.trim_end();
    assert_eq!(out, format!("{id}\n"));
    assert_eq!(id.len(), 22, "{id}");
    assert!(
        id.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'),
        "{id}"
    );
    assert!(!id.starts_with('-'));
    let (_, other, _) = run(fjord().args(["storage", "random-uuid"]));
    assert_ne!(other, out, "two calls give two ids");
}

#[test]
fn format_twice_fails_then_ignore_formatted_succeeds_and_info_reports() {
    let tmp = tempfile::tempdir().unwrap();
    let config = write_config(tmp.path(), 1, free_port(), free_port());
    let data = tmp.path().join("data");
    let cluster = "MkU3OEVBNTcwNTJENDM2Qg";

    let (code, out, _) = format(&config, cluster, &[]);
    assert_eq!(code, 0);
    assert_eq!(
        out,
        format!(
            "Formatting metadata directory {} with metadata.version 4.1-IV1.\n",
            data.display()
        )
    );
    assert!(data.join("meta.properties").is_file());

    let (code, _, err) = format(&config, cluster, &[]);
    assert_eq!(code, 1);
    assert_eq!(
        err,
        format!(
            "Log directory {} is already formatted. Use --ignore-formatted to ignore this directory and format the others.\n",
            data.display()
        )
    );

    let (code, out, _) = format(&config, cluster, &["--ignore-formatted"]);
    assert_eq!(code, 0);
    assert_eq!(out, "All of the log directories are already formatted.\n");

    let (code, out, _) = run(fjord().args(["storage", "info", "-c"]).arg(&config));
    assert_eq!(code, 0);
    assert!(
        out.starts_with(&format!(
            "Found log directory:\n  {}\n\nFound metadata: {{cluster.id={cluster}, directory.id=",
            data.display()
        )),
        "{out}"
    );
    assert!(out.ends_with(", node.id=1, version=1}\n\n"), "{out}");
}

#[test]
fn info_on_unformatted_dir_reports_problem_and_exits_1() {
    let tmp = tempfile::tempdir().unwrap();
    let config = write_config(tmp.path(), 1, free_port(), free_port());
    let (code, out, _) = run(fjord().args(["storage", "info", "-c"]).arg(&config));
    assert_eq!(code, 1);
    assert_eq!(
        out,
        format!(
            "Found problem:\n  {} does not exist\n\n",
            tmp.path().join("data").display()
        )
    );
}

#[test]
fn start_on_unformatted_dir_fails_with_kafkas_message() {
    let tmp = tempfile::tempdir().unwrap();
    let config = write_config(tmp.path(), 1, free_port(), free_port());
    let (code, _, err) = run(fjord().args(["server", "start"]).arg(&config));
    assert_eq!(code, 1);
    let expected = format!(
        "No `meta.properties` found in {} (have you run `kafka-storage.sh` to format the directory?)",
        tmp.path().join("data").display()
    );
    assert!(err.contains(&expected), "{err}");
}

#[test]
fn start_with_another_nodes_directory_refuses() {
    let tmp = tempfile::tempdir().unwrap();
    let (client, controller) = (free_port(), free_port());
    let config = write_config(tmp.path(), 1, client, controller);
    assert_eq!(format(&config, "MkU3OEVBNTcwNTJENDM2Qg", &[]).0, 0);
    let (code, _, err) = run(fjord().args(["server", "start"]).arg(&config).args([
        "--override",
        "node.id=2",
        "--override",
        &format!("controller.quorum.voters=2@127.0.0.1:{controller}"),
    ]));
    assert_eq!(code, 1);
    assert!(
        err.contains("Stored node id 1 doesn't match previous node id 2 in"),
        "{err}"
    );
}

#[test]
fn invalid_value_names_key_and_value() {
    let tmp = tempfile::tempdir().unwrap();
    let config = write_config(tmp.path(), 1, free_port(), free_port());
    let (code, _, err) = run(fjord()
        .args(["server", "start"])
        .arg(&config)
        .args(["--override", "num.partitions=abc"]));
    assert_eq!(code, 1);
    assert!(
        err.contains(
            "Invalid value abc for configuration num.partitions: Not a number of type INT"
        ),
        "{err}"
    );
}

#[test]
fn env_variable_overrides_the_file() {
    // FJORD_NUM_PARTITIONS -> num.partitions; an invalid env value must surface under the key.
    let tmp = tempfile::tempdir().unwrap();
    let config = write_config(tmp.path(), 1, free_port(), free_port());
    let (code, _, err) = run(fjord()
        .args(["server", "start"])
        .arg(&config)
        .env("FJORD_NUM_PARTITIONS", "zero"));
    assert_eq!(code, 1);
    assert!(
        err.contains("Invalid value zero for configuration num.partitions"),
        "{err}"
    );
}

#[test]
fn bad_flag_prints_usage_and_fails() {
    let (code, _, err) = run(fjord().args(["storage", "format", "--no-such-flag"]));
    assert_eq!(code, 2);
    assert!(err.contains("Usage:"), "{err}");
    let (code, _, err) = run(fjord().args(["storage", "format", "-c", "x.properties"]));
    assert_eq!(code, 2, "missing required --cluster-id");
    assert!(err.contains("--cluster-id"), "{err}");
}

/// Kafka 3.x `ZooKeeperClient.waitUntilConnected`: with nothing listening at
/// `zookeeper.connect`, a ZooKeeper-mode broker fails after `zookeeper.connection.timeout.ms`;
/// `kafka-storage.sh format` keeps refusing a legacy config (`StorageTool`).
#[test]
fn zookeeper_mode_without_zookeeper_times_out_and_format_refuses() {
    let config = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../config/server.properties");
    let dir = tempfile::tempdir().unwrap();
    let closed_port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let (code, _, err) = run(fjord().args(["server", "start"]).arg(&config).args([
        "--override".to_owned(),
        format!("zookeeper.connect=127.0.0.1:{closed_port}"),
        "--override".to_owned(),
        "zookeeper.connection.timeout.ms=500".to_owned(),
        "--override".to_owned(),
        format!("log.dirs={}", dir.path().join("logs").display()),
    ]));
    assert_eq!(code, 1);
    assert!(
        err.contains("Timed out waiting for connection while in state: CONNECTING"),
        "{err}"
    );
    assert!(!dir.path().join("logs").join("meta.properties").exists());
    let (code, _, err) = format(&config, "MkU3OEVBNTcwNTJENDM2Qg", &[]);
    assert_eq!(code, 1);
    assert!(err.contains("appears to be for a legacy cluster"), "{err}");
}

#[test]
fn shipped_kraft_configs_parse() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../config/kraft");
    for name in [
        "server.properties",
        "broker.properties",
        "controller.properties",
    ] {
        let config = fjord_config_load(&root.join(name));
        assert!(config.is_ok(), "{name}: {config:?}");
    }
}

fn fjord_config_load(path: &Path) -> Result<(), String> {
    // `storage info` parses the config before looking at directories: exit 0 or 1 with a
    // report, never a config error.
    let (code, out, err) = run(fjord().args(["storage", "info", "-c"]).arg(path));
    if (code == 0 || code == 1) && (out.contains("Found") || out.contains("No directories")) {
        Ok(())
    } else {
        Err(format!("exit {code}: {out}{err}"))
    }
}

#[test]
fn server_accepts_tcp_and_exits_0_on_sigterm() {
    let tmp = tempfile::tempdir().unwrap();
    let (client, controller) = (free_port(), free_port());
    let config = write_config(tmp.path(), 1, client, controller);
    assert_eq!(format(&config, "MkU3OEVBNTcwNTJENDM2Qg", &[]).0, 0);

    let child = fjord()
        .args(["server", "start"])
        .arg(&config)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut guard = ServerGuard(child);
    assert!(
        wait_connect(client, Duration::from_secs(20)),
        "server never accepted on {client}"
    );

    let pid = nix::unistd::Pid::from_raw(i32::try_from(guard.0.id()).unwrap());
    nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM).unwrap();
    let status =
        wait_exit(&mut guard.0, Duration::from_secs(5)).expect("exits within 5 s of SIGTERM");
    let mut err = String::new();
    guard
        .0
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    assert!(status.success(), "exit {status:?}: {err}");
    assert!(err.contains("received SIGTERM"), "{err}");
}

#[test]
fn server_stop_signals_the_matching_server_and_reports_none_left() {
    let tmp = tempfile::tempdir().unwrap();
    let (client, controller) = (free_port(), free_port());
    // A node id no other test uses, so --node-id scopes the stop to this test's server.
    let node_id = 4000 + i32::from(client % 1000);
    let config = write_config(tmp.path(), node_id, client, controller);
    assert_eq!(format(&config, "MkU3OEVBNTcwNTJENDM2Qg", &[]).0, 0);

    let child = fjord()
        .args(["server", "start"])
        .arg(&config)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut guard = ServerGuard(child);
    assert!(wait_connect(client, Duration::from_secs(20)));

    let (code, _, err) = run(fjord().args(["server", "stop", "--node-id", &node_id.to_string()]));
    assert_eq!(code, 0, "{err}");
    let status = wait_exit(&mut guard.0, Duration::from_secs(5)).expect("stopped server exits");
    assert!(status.success());

    let (code, out, _) = run(fjord().args(["server", "stop", "--node-id", &node_id.to_string()]));
    assert_eq!((code, out.as_str()), (1, "No kafka server to stop\n"));
}
