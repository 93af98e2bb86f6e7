//! Alert rules (create, delete, list with their current state) and history; [`emit`] records
//! a transition in the persisted history and posts it to the rule's webhook.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::alerts::{AlertCondition, AlertEvent, AlertRule, Transition};
use crate::error::{ApiResult, ConsoleError};
use crate::sampler::now_ms;
use crate::server::AppState;
use crate::store::ALERT_HISTORY_MAX;

/// `GET /api/alerts`: rules with state, and the history (newest first).
pub async fn overview(State(state): State<Arc<AppState>>) -> Json<Value> {
    let (rules, history) = state.with_state(|s| (s.alert_rules.clone(), s.alert_history.clone()));
    let samples = state.samples.lock().unwrap_or_else(|p| p.into_inner());
    let rules: Vec<Value> = rules
        .iter()
        .map(|rule| {
            let status = samples.alert_status.get(&rule.id);
            json!({
                "rule": rule,
                "firing": status.is_some_and(|s| s.firing),
                "pending": status.is_some_and(|s| !s.firing && s.breaching_since.is_some()),
                "message": status.map(|s| s.message.clone()),
            })
        })
        .collect();
    let history: Vec<&AlertEvent> = history.iter().rev().collect();
    Json(json!({ "rules": rules, "history": history }))
}

/// `POST /api/alerts/rules` body.
#[derive(Debug, Deserialize)]
pub struct NewRule {
    name: String,
    condition: AlertCondition,
    #[serde(default)]
    for_seconds: u64,
    webhook_url: Option<String>,
}

/// `POST /api/alerts/rules`.
pub async fn create_rule(
    State(state): State<Arc<AppState>>,
    Json(body): Json<NewRule>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let webhook_url = body.webhook_url.filter(|u| !u.trim().is_empty());
    if let Some(url) = &webhook_url {
        crate::webhook::parse_http_url(url).map_err(ConsoleError::BadRequest)?;
    }
    let rule = state.update_state(|s| {
        let rule = AlertRule {
            id: s.next_rule_id.max(1),
            name: body.name,
            condition: body.condition,
            for_seconds: body.for_seconds,
            webhook_url,
        };
        s.next_rule_id = rule.id + 1;
        s.alert_rules.push(rule.clone());
        Ok(rule)
    })?;
    Ok((StatusCode::CREATED, Json(json!(rule))))
}

/// `DELETE /api/alerts/rules/{id}`.
pub async fn delete_rule(
    State(state): State<Arc<AppState>>,
    Path(id): Path<u64>,
) -> ApiResult<StatusCode> {
    state.update_state(|s| {
        let before = s.alert_rules.len();
        s.alert_rules.retain(|r| r.id != id);
        if before == s.alert_rules.len() {
            return Err(ConsoleError::NotFound(format!("no alert rule {id}")));
        }
        Ok(())
    })?;
    Ok(StatusCode::NO_CONTENT)
}

/// Records `transition` of `rule` in the history and, if the rule has a webhook, posts
/// `{"rule", "rule_id", "state", "message", "at_ms", "cluster"}` to it in the background; the
/// delivery result is written back into the history entry.
pub fn emit(state: &Arc<AppState>, rule: &AlertRule, transition: Transition, message: String) {
    let at_ms = now_ms();
    let event = AlertEvent {
        rule_id: rule.id,
        rule_name: rule.name.clone(),
        state: transition.name().to_owned(),
        at_ms,
        message,
        webhook: rule.webhook_url.as_ref().map(|_| "pending".to_owned()),
    };
    tracing::warn!(rule = %rule.name, state = %event.state, message = %event.message, "console alert");
    let push = state.update_state(|s| {
        s.alert_history.push(event.clone());
        let excess = s.alert_history.len().saturating_sub(ALERT_HISTORY_MAX);
        s.alert_history.drain(..excess);
        Ok(())
    });
    if let Err(error) = push {
        tracing::error!(%error, "cannot record alert event");
    }
    let Some(url) = rule.webhook_url.clone() else {
        return;
    };
    let body = json!({
        "rule": rule.name, "rule_id": rule.id, "condition": rule.condition,
        "state": event.state, "message": event.message, "at_ms": at_ms,
        "cluster": state.cluster.bootstrap(),
    })
    .to_string();
    let state = state.clone();
    let rule_id = rule.id;
    tokio::spawn(async move {
        let outcome = match crate::webhook::post_json(&url, &body).await {
            Ok(status) => format!("delivered: HTTP {status}"),
            Err(error) => format!("failed: {error}"),
        };
        let _ = state.update_state(|s| {
            if let Some(entry) = s
                .alert_history
                .iter_mut()
                .rev()
                .find(|e| e.rule_id == rule_id && e.at_ms == at_ms)
            {
                entry.webhook = Some(outcome);
            }
            Ok(())
        });
    });
}
