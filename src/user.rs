//! A user's account (`Client::user`): the public profile of any user, and for `"me"` (the
//! token's owner) the private data, the monthly usage and the account limits.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::client::{id_segment, Client};
use crate::error::{Error, Result};
use crate::http::Call;

/// A user: the public profile, and for `"me"` the private fields too.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct User {
    /// The username.
    pub username: String,
    /// The user's id (private data only).
    #[serde(default)]
    pub id: Option<String>,
    /// The public profile (`name`, `bio`, `pictureUrl`, `websiteUrl`, ...).
    #[serde(default)]
    pub profile: Map<String, Value>,
    /// The e-mail address (private data only).
    #[serde(default)]
    pub email: Option<String>,
    /// The subscription plan and what it allows (private data only).
    #[serde(default)]
    pub plan: Option<Map<String, Value>>,
    /// Whether the user pays for a plan (private data only).
    #[serde(default)]
    pub is_paying: Option<bool>,
    /// When the account was created (ISO 8601; private data only).
    #[serde(default)]
    pub created_at: Option<String>,
    /// Every other field, as received.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A usage cycle: its first and last moment (ISO 8601).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct UsageCycle {
    /// When it starts.
    pub start_at: String,
    /// When it ends.
    pub end_at: String,
}

/// The use of one service (compute units, dataset writes, ...) and its price.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct UsageItem {
    /// How much was used, in the service's unit.
    pub quantity: f64,
    /// Its price before discounts, in USD.
    pub base_amount_usd: f64,
    /// The price of one unit, in USD.
    #[serde(default)]
    pub base_unit_price_usd: Option<f64>,
    /// Its price after volume discounts, in USD.
    #[serde(default)]
    pub amount_after_volume_discount_usd: Option<f64>,
    /// Every other field, as received.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// One day of a usage cycle.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct DailyUsage {
    /// The day (`YYYY-MM-DD`, or as the server writes it).
    pub date: String,
    /// Use per service that day.
    #[serde(default)]
    pub service_usage: BTreeMap<String, UsageItem>,
    /// What the day cost, in USD.
    pub total_usage_credits_usd: f64,
    /// Every other field, as received.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// The usage of one monthly cycle: per service, per day, and in all.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct MonthlyUsage {
    /// The cycle.
    pub usage_cycle: UsageCycle,
    /// Use per service over the cycle (`ACTOR_COMPUTE_UNITS`, `DATASET_WRITES`, ...).
    #[serde(default)]
    pub monthly_service_usage: BTreeMap<String, UsageItem>,
    /// Use per day.
    #[serde(default)]
    pub daily_service_usages: Vec<DailyUsage>,
    /// What the cycle cost before volume discounts, in USD.
    pub total_usage_credits_usd_before_volume_discount: f64,
    /// What the cycle cost after volume discounts, in USD.
    pub total_usage_credits_usd_after_volume_discount: f64,
    /// Every other field, as received.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// The account's limits.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Limits {
    /// The hard limit on monthly usage, in USD (the user may change it).
    pub max_monthly_usage_usd: f64,
    /// Compute units a month.
    pub max_monthly_actor_compute_units: f64,
    /// Memory of all running Actors together, in GB.
    pub max_actor_memory_gbytes: f64,
    /// Actors the user may have.
    pub max_actor_count: u64,
    /// Tasks the user may have.
    pub max_actor_task_count: u64,
    /// Runs and builds at the same time.
    pub max_concurrent_actor_jobs: u64,
    /// Days unnamed storages are kept (the user may change it).
    pub data_retention_days: u64,
    /// Every other limit (data transfer, proxy, seats, schedules, ...), as received.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// What the account uses now, to compare with its [`Limits`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct CurrentUsage {
    /// Usage of this cycle so far, in USD.
    pub monthly_usage_usd: f64,
    /// Compute units of this cycle so far.
    pub monthly_actor_compute_units: f64,
    /// Memory of the running Actors, in GB.
    pub actor_memory_gbytes: f64,
    /// Actors the user has.
    pub actor_count: u64,
    /// Tasks the user has.
    pub actor_task_count: u64,
    /// Runs and builds going on.
    pub active_actor_job_count: u64,
    /// Every other figure, as received.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// The account's limits, the cycle they apply to and the current usage.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct AccountLimits {
    /// The current monthly cycle.
    pub monthly_usage_cycle: UsageCycle,
    /// The limits.
    pub limits: Limits,
    /// The usage now.
    pub current: CurrentUsage,
    /// Every other field, as received.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// The limits a user may change: at least one field.
#[derive(Debug, Clone, Default, PartialEq)]
#[non_exhaustive]
pub struct LimitsUpdate {
    /// The hard limit on monthly usage, in USD (0 or more).
    pub max_monthly_usage_usd: Option<f64>,
    /// Days unnamed storages are kept (1 or more; the plan sets the most).
    pub data_retention_days: Option<u64>,
}

setters!(LimitsUpdate {
    /// Sets the hard limit on monthly usage, in USD.
    max_monthly_usage_usd: some f64,
    /// Sets the days unnamed storages are kept.
    data_retention_days: some u64,
});

impl LimitsUpdate {
    fn body(&self) -> Result<Value> {
        let mut body = Map::new();
        if let Some(usd) = self.max_monthly_usage_usd {
            if !usd.is_finite() || usd < 0.0 {
                return Err(Error::InvalidArgument(format!(
                    "the monthly usage limit must be a number of USD of 0 or more, got {usd}"
                )));
            }
            body.insert("maxMonthlyUsageUsd".into(), usd.into());
        }
        if let Some(days) = self.data_retention_days {
            if days == 0 {
                return Err(Error::InvalidArgument(
                    "the data retention must be at least 1 day".into(),
                ));
            }
            body.insert("dataRetentionDays".into(), days.into());
        }
        if body.is_empty() {
            return Err(Error::InvalidArgument(
                "the limits update changes nothing: set max_monthly_usage_usd or data_retention_days"
                    .into(),
            ));
        }
        Ok(Value::Object(body))
    }
}

/// One user (`Client::user`): `"me"` for the token's owner, else a user id or username.
#[derive(Debug, Clone)]
pub struct UserClient {
    client: Client,
    id: String,
}

impl Client {
    /// A user: `"me"` (the token's owner: private data, usage, limits) or any user's id or
    /// username (the public profile).
    pub fn user(&self, id: &str) -> UserClient {
        UserClient {
            client: self.clone(),
            id: id.trim().to_string(),
        }
    }
}

/// `YYYY-MM-DD` with a month and day in range (the server checks the calendar).
fn check_date(date: &str) -> Result<()> {
    let b = date.as_bytes();
    let digits = |r: std::ops::Range<usize>| b[r].iter().all(u8::is_ascii_digit);
    let shaped = b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && digits(0..4)
        && digits(5..7)
        && digits(8..10);
    let in_range = shaped
        && (1..=12).contains(&date[5..7].parse::<u32>().unwrap_or(0))
        && (1..=31).contains(&date[8..10].parse::<u32>().unwrap_or(0));
    if in_range {
        Ok(())
    } else {
        Err(Error::InvalidArgument(format!(
            "the usage date must be YYYY-MM-DD, got {date:?}"
        )))
    }
}

impl UserClient {
    /// The user's id or username as given (`me` for the token's owner).
    pub fn id(&self) -> &str {
        &self.id
    }

    fn is_me(&self) -> bool {
        self.id == "me"
    }

    fn me_only(&self, what: &str) -> Result<()> {
        if self.is_me() {
            Ok(())
        } else {
            Err(Error::InvalidArgument(format!(
                "{what} is only readable for the token's owner: use client.user(\"me\"), not {:?}",
                self.id
            )))
        }
    }

    /// The user: for `"me"` the private data, else the public profile; `None` when there is
    /// no such user.
    ///
    /// API: `users_me_get`, `user_get`
    pub fn get(&self) -> Result<Option<User>> {
        let path = format!("/v2/users/{}", id_segment("the user id", &self.id)?);
        match self.client.http().send(&Call::new("GET", path)) {
            Ok(r) => r.data().map(Some),
            Err(e) if e.is_not_found() => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// The usage of the monthly cycle holding `date` (`YYYY-MM-DD`; `None`: the current
    /// cycle). Only for `"me"`.
    ///
    /// API: `users_me_usage_monthly_get`
    pub fn monthly_usage(&self, date: Option<&str>) -> Result<MonthlyUsage> {
        self.me_only("the monthly usage")?;
        if let Some(d) = date {
            check_date(d)?;
        }
        let call = Call::new("GET", "/v2/users/me/usage/monthly").query_opt("date", date);
        self.client.http().send(&call)?.data()
    }

    /// The account's limits and current usage. Only for `"me"`.
    ///
    /// API: `users_me_limits_get`
    pub fn limits(&self) -> Result<AccountLimits> {
        self.me_only("the account limits")?;
        self.client
            .http()
            .send(&Call::new("GET", "/v2/users/me/limits"))?
            .data()
    }

    /// Changes the limits `update` sets (read them back with [`limits`](Self::limits)). Only
    /// for `"me"`.
    ///
    /// API: `users_me_limits_put`
    pub fn update_limits(&self, update: &LimitsUpdate) -> Result<()> {
        self.me_only("the account limits")?;
        let call = Call::new("PUT", "/v2/users/me/limits").json_body(&update.body()?)?;
        self.client.http().send(&call)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_and_updates_are_checked() {
        check_date("2026-12-08").unwrap();
        for bad in ["2026-13-01", "2026-1-01", "08.12.2026", "2026-12-00", ""] {
            assert!(check_date(bad).is_err(), "{bad}");
        }
        for (update, says) in [
            (LimitsUpdate::default(), "changes nothing"),
            (
                LimitsUpdate::default().max_monthly_usage_usd(-1.0),
                "0 or more",
            ),
            (
                LimitsUpdate::default().max_monthly_usage_usd(f64::NAN),
                "0 or more",
            ),
            (
                LimitsUpdate::default().data_retention_days(0),
                "at least 1 day",
            ),
        ] {
            let e = update.body().unwrap_err().to_string();
            assert!(e.contains(says), "{e}");
        }
        let body = LimitsUpdate::default()
            .max_monthly_usage_usd(30.0)
            .data_retention_days(14)
            .body()
            .unwrap();
        assert_eq!(
            body,
            serde_json::json!({"maxMonthlyUsageUsd": 30.0, "dataRetentionDays": 14})
        );
    }
}
