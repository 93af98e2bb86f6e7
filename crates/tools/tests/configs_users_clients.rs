//! Goal: `kafka-configs.sh --entity-type users|clients` prints what Kafka's ConfigCommand prints
//! for SCRAM credentials (KIP-554) and client quotas (KIP-546), with its exit codes and errors.
//! Method: an in-process broker on 127.0.0.1:0, the tool run through `run_tool` as the `fjord`
//! binary runs it, stdout/stderr captured; each phase states the Kafka behaviour it checks.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::ffi::OsString;

use fjord_broker::{Broker, BrokerConfig};
use fjord_tools::output::Output;
use fjord_tools::run_tool;

async fn configs(args: &[&str]) -> (u8, String, String) {
    let (mut output, out, err) = Output::captured();
    let argv: Vec<OsString> = args.iter().map(OsString::from).collect();
    let code = run_tool("configs", argv, &mut output).await;
    (code, out.text(), err.text())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn users_and_clients_quotas_and_scram_credentials() {
    let dir = tempfile::tempdir().unwrap();
    let config = BrokerConfig::for_tests(dir.path().to_path_buf()).unwrap();
    let handle = Broker::start_with_config(config).await.unwrap();
    let b = handle.bound_addrs()[0].to_string();
    let b = b.as_str();

    // Phase 1: both mechanisms in one --add-config are refused as by a KRaft Kafka controller:
    // ScramControlManager.alterCredentials keys a request's changes by user name alone
    // (DUPLICATE_RESOURCE, "A user credential cannot be altered twice in the same request"),
    // and nothing is stored.
    let (code, out, err) = configs(&[
        "--bootstrap-server", b, "--alter", "--entity-type", "users", "--entity-name", "alice",
        "--add-config",
        "SCRAM-SHA-256=[iterations=8192,password=alice-secret],SCRAM-SHA-512=[password=alice-secret]",
    ])
    .await;
    assert_eq!((code, out.as_str()), (1, ""));
    assert!(
        err.ends_with("\nA user credential cannot be altered twice in the same request\n"),
        "{err}"
    );
    let (_, out, _) = configs(&[
        "--bootstrap-server",
        b,
        "--describe",
        "--entity-type",
        "users",
    ])
    .await;
    assert_eq!(out, "");
    // One mechanism per command, as Kafka's operators do.
    for add in [
        "SCRAM-SHA-256=[iterations=8192,password=alice-secret]",
        "SCRAM-SHA-512=[password=alice-secret]",
    ] {
        let (code, out, err) = configs(&[
            "--bootstrap-server",
            b,
            "--alter",
            "--entity-type",
            "users",
            "--entity-name",
            "alice",
            "--add-config",
            add,
        ])
        .await;
        assert_eq!(
            (code, out.as_str(), err.as_str()),
            (0, "Completed updating config for user alice.\n", "")
        );
    }

    // Phase 2: describe shows mechanisms and iterations (4096 is ConfigCommand's default).
    let (code, out, _) = configs(&[
        "--bootstrap-server",
        b,
        "--describe",
        "--entity-type",
        "users",
        "--entity-name",
        "alice",
    ])
    .await;
    assert_eq!(
        (code, out.as_str()),
        (
            0,
            "SCRAM credential configs for user-principal 'alice' are SCRAM-SHA-256=iterations=8192, SCRAM-SHA-512=iterations=4096\n"
        )
    );

    // Phase 3: delete one mechanism; deleting it again is RESOURCE_NOT_FOUND from the broker.
    let (code, out, _) = configs(&[
        "--bootstrap-server",
        b,
        "--alter",
        "--entity-type",
        "users",
        "--entity-name",
        "alice",
        "--delete-config",
        "SCRAM-SHA-512",
    ])
    .await;
    assert_eq!(
        (code, out.as_str()),
        (0, "Completed updating config for user alice.\n")
    );
    let (code, _, err) = configs(&[
        "--bootstrap-server",
        b,
        "--alter",
        "--entity-type",
        "users",
        "--entity-name",
        "alice",
        "--delete-config",
        "SCRAM-SHA-512",
    ])
    .await;
    assert_eq!(code, 1);
    assert!(
        err.starts_with("Error while executing config command with args '"),
        "{err}"
    );
    assert!(
        err.contains("Attempt to delete a user credential that does not exist"),
        "{err}"
    );

    // Phase 4: iterations above ScramControlManager.MAX_ITERATIONS are refused by the broker,
    // below the mechanism minimum by the tool itself.
    let (code, _, err) = configs(&[
        "--bootstrap-server",
        b,
        "--alter",
        "--entity-type",
        "users",
        "--entity-name",
        "bob",
        "--add-config",
        "SCRAM-SHA-256=[iterations=20000,password=x]",
    ])
    .await;
    assert_eq!(code, 1);
    assert!(err.contains("Too many iterations"), "{err}");
    let (code, out, err) = configs(&[
        "--bootstrap-server",
        b,
        "--alter",
        "--entity-type",
        "users",
        "--entity-name",
        "bob",
        "--add-config",
        "SCRAM-SHA-256=[iterations=100,password=x]",
    ])
    .await;
    assert_eq!(
        (code, out.as_str(), err.as_str()),
        (
            1,
            "",
            "Iterations 100 is less than the minimum 4096 required for SCRAM-SHA-256\n"
        )
    );

    // Phase 5: quotas for a user, a client, a <user, client> pair and the default user.
    for (entity, add) in [
        (
            vec!["--entity-type", "users", "--entity-name", "alice"],
            "producer_byte_rate=1024,consumer_byte_rate=2048,request_percentage=200",
        ),
        (
            vec!["--entity-type", "clients", "--entity-name", "app"],
            "producer_byte_rate=10485760",
        ),
        (
            vec![
                "--entity-type",
                "users",
                "--entity-name",
                "alice",
                "--entity-type",
                "clients",
                "--entity-name",
                "app",
            ],
            "consumer_byte_rate=4096",
        ),
        (
            vec!["--entity-type", "users", "--entity-default"],
            "request_percentage=50.5",
        ),
    ] {
        let mut args = vec!["--bootstrap-server", b, "--alter", "--add-config", add];
        args.extend(entity);
        let (code, _, err) = configs(&args).await;
        assert_eq!(code, 0, "{err}");
    }
    let (code, out, _) = configs(&[
        "--bootstrap-server",
        b,
        "--describe",
        "--entity-type",
        "users",
        "--entity-name",
        "alice",
    ])
    .await;
    assert_eq!(
        (code, out.as_str()),
        (
            0,
            "Quota configs for user-principal 'alice' are consumer_byte_rate=2048.0, producer_byte_rate=1024.0, request_percentage=200.0\n\
             SCRAM credential configs for user-principal 'alice' are SCRAM-SHA-256=iterations=8192\n"
        )
    );
    let (_, out, _) = configs(&[
        "--bootstrap-server",
        b,
        "--describe",
        "--entity-type",
        "clients",
        "--entity-name",
        "app",
    ])
    .await;
    assert_eq!(
        out,
        "Quota configs for client-id 'app' are producer_byte_rate=1.048576E7\n"
    );
    let (_, out, _) = configs(&[
        "--bootstrap-server",
        b,
        "--describe",
        "--entity-type",
        "users",
        "--entity-name",
        "alice",
        "--entity-type",
        "clients",
        "--entity-name",
        "app",
    ])
    .await;
    assert_eq!(
        out,
        "Quota configs for user-principal 'alice', client-id 'app' are consumer_byte_rate=4096.0\n"
    );
    let (_, out, _) = configs(&[
        "--bootstrap-server",
        b,
        "--describe",
        "--entity-type",
        "users",
        "--entity-default",
    ])
    .await;
    assert_eq!(
        out,
        "Quota configs for the default user-principal are request_percentage=50.5\n"
    );
    let (code, out, _) = configs(&[
        "--bootstrap-server",
        b,
        "--alter",
        "--entity-type",
        "users",
        "--entity-default",
        "--delete-config",
        "request_percentage",
    ])
    .await;
    assert_eq!(
        (code, out.as_str()),
        (
            0,
            "Completed updating default config for users in the cluster.\n"
        )
    );
    // Describing every user lists each entity with only a user component, then every SCRAM user.
    let (_, out, _) = configs(&[
        "--bootstrap-server",
        b,
        "--describe",
        "--entity-type",
        "users",
    ])
    .await;
    assert_eq!(
        out,
        "Quota configs for user-principal 'alice' are consumer_byte_rate=2048.0, producer_byte_rate=1024.0, request_percentage=200.0\n\
         SCRAM credential configs for user-principal 'alice' are SCRAM-SHA-256=iterations=8192\n"
    );

    // Phase 6: client-side refusals (IllegalArgumentException / InvalidConfigurationException:
    // message on stderr, exit 1) and the broker's INVALID_REQUEST for a fractional byte rate.
    let cases: [(&[&str], &str); 5] = [
        (
            &[
                "--alter",
                "--entity-type",
                "clients",
                "--entity-name",
                "app",
                "--add-config",
                "SCRAM-SHA-256=[password=x]",
            ],
            "Only quota configs can be added for 'clients' using --bootstrap-server. Unexpected config names: SCRAM-SHA-256\n",
        ),
        (
            &[
                "--alter",
                "--entity-type",
                "users",
                "--entity-name",
                "alice",
                "--add-config",
                "retention.ms=1",
            ],
            "Only quota and SCRAM credential configs can be added for 'users' using --bootstrap-server. Unexpected config names: retention.ms\n",
        ),
        (
            &[
                "--alter",
                "--entity-type",
                "users",
                "--entity-name",
                "alice",
                "--delete-config",
                "controller_mutation_rate",
            ],
            "Invalid config(s): controller_mutation_rate\n",
        ),
        (
            &[
                "--describe",
                "--entity-type",
                "users",
                "--entity-type",
                "topics",
            ],
            "Only 'users' and 'clients' entity types may be specified together\n",
        ),
        (
            &[
                "--alter",
                "--entity-type",
                "users",
                "--entity-default",
                "--add-config",
                "SCRAM-SHA-256=[password=x]",
            ],
            "The use of --entity-default or --user-defaults is not allowed with User SCRAM Credentials using --bootstrap-server.\n",
        ),
    ];
    for (args, expected) in cases {
        let mut full = vec!["--bootstrap-server", b];
        full.extend(args);
        let (code, out, err) = configs(&full).await;
        assert_eq!(
            (code, out.as_str(), err.as_str()),
            (1, "", expected),
            "{args:?}"
        );
    }
    let (code, _, err) = configs(&[
        "--bootstrap-server",
        b,
        "--alter",
        "--entity-type",
        "clients",
        "--entity-name",
        "app",
        "--add-config",
        "producer_byte_rate=1.5",
    ])
    .await;
    assert_eq!(code, 1);
    assert!(
        err.contains("Configuration producer_byte_rate must be a Long value"),
        "{err}"
    );

    // Phase 7: credentials and quotas are in the metadata log: a restart replays them.
    handle.shutdown().await.unwrap();
    let config = BrokerConfig::for_tests(dir.path().to_path_buf()).unwrap();
    let handle = Broker::start_with_config(config).await.unwrap();
    let b = handle.bound_addrs()[0].to_string();
    let (_, out, _) = configs(&[
        "--bootstrap-server",
        &b,
        "--describe",
        "--entity-type",
        "users",
        "--entity-name",
        "alice",
    ])
    .await;
    assert!(out.contains("SCRAM-SHA-256=iterations=8192"), "{out}");
    assert!(out.contains("producer_byte_rate=1024.0"), "{out}");
    handle.shutdown().await.unwrap();
}
