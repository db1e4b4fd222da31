//! Smart charging per site (Volttime's `GET/PUT /sites/{site}/smart-charging`) and the day-ahead
//! prices it follows (`GET /tariffs?location=`, loaded with `PUT /tariffs` as JSON or CSV).
//! The plan itself is `voltgate_core::smart`; the load controller applies it.

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap};
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use time::{Duration, OffsetDateTime};
use voltgate_core::smart::{self, DayAheadPrice, PriceStrategy, SmartMode, Zone};
use voltgate_core::store::SitePatch;

use super::sites::visible_site;
use crate::auth::Caller;
use crate::body::Body;
use crate::envelope::{data, Data};
use crate::error::{ApiError, ApiResult};
use crate::time_fmt::{format, format_opt};
use crate::ApiState;

pub(crate) fn router() -> Router<ApiState> {
    Router::new()
        .route(
            "/sites/{site}/smart-charging",
            get(show).put(update).patch(update),
        )
        .route("/tariffs", get(list_prices).put(import_prices))
}

/// At most this many prices in one import (a year of quarter-hours is 35,040).
const MAX_IMPORT: usize = 50_000;

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(crate) struct SmartChargingView {
    /// The site's time zone (off-peak times are local to it).
    pub timezone: String,
    /// disabled, off_peak or day_ahead_pricing.
    pub smart_charging: String,
    /// automatic or manual.
    pub day_ahead_pricing_strategy: String,
    /// The manual threshold, in the unit of the zone's prices.
    pub day_ahead_pricing_threshold: Option<i64>,
    /// The threshold in effect now (manual, or computed: the price of the 8th cheapest hour of
    /// the next 24); null when there are no prices.
    pub day_ahead_pricing_smart_mode_price: Option<f64>,
    /// `H:i`, local.
    pub off_peak_start: String,
    pub off_peak_end: String,
    /// The day-ahead price zone (e.g. BE) whose prices `day_ahead_pricing` follows.
    pub tariff_zone: Option<String>,
    /// Whether the mode lets sessions charge now.
    pub charging_allowed_now: bool,
    /// When that changes next (within a day), if it does.
    pub next_change_at: Option<String>,
    pub updated_at: Option<String>,
}

async fn view(state: &ApiState, site: &voltgate_core::model::Site) -> ApiResult<SmartChargingView> {
    let (s, plan) = state
        .load
        .smart_plan(site, OffsetDateTime::now_utc())
        .await?;
    Ok(SmartChargingView {
        timezone: site.address.timezone.clone(),
        smart_charging: s.mode.as_str().to_owned(),
        day_ahead_pricing_strategy: s.strategy.as_str().to_owned(),
        day_ahead_pricing_threshold: s.threshold,
        day_ahead_pricing_smart_mode_price: plan.threshold,
        off_peak_start: smart::format_hhmm(s.off_peak_start),
        off_peak_end: smart::format_hhmm(s.off_peak_end),
        tariff_zone: s.tariff_zone.clone(),
        charging_allowed_now: plan.allowed_now,
        next_change_at: plan.changes.first().map(|(at, _)| format(*at)),
        updated_at: format_opt(s.updated_at),
    })
}

#[utoipa::path(get, path = "/api/v3/sites/{site}/smart-charging", tag = "Smart charging", params(("site" = String, Path)),
    responses((status = 200, body = inline(Data<SmartChargingView>)), (status = 404)))]
pub(crate) async fn show(
    State(state): State<ApiState>,
    caller: Caller,
    Path(site): Path<String>,
) -> ApiResult<Json<Data<SmartChargingView>>> {
    let site = visible_site(&state, &caller, &site).await?;
    Ok(data(view(&state, &site).await?))
}

const TZ_MESSAGE: &str = "Must be a valid time zone, such as `Africa/Accra`.";

fn hhmm(b: &mut Body, field: &str, required: bool, mode: &str) -> Option<u16> {
    match b.opt_string(field, 5) {
        Some(Some(s)) => {
            let parsed = smart::parse_hhmm(&s);
            if parsed.is_none() {
                b.error(field, "Must be a valid date in the format `H:i`.");
            }
            parsed
        }
        _ if required && !b.has_error(field) => {
            b.error(
                field,
                &format!("This field is required when `smart_charging` is `{mode}`."),
            );
            None
        }
        _ => None,
    }
}

/// Volttime's rules: timezone and smart_charging are required; off-peak times when off_peak;
/// the threshold when manual (unless one was set before); Voltgate adds tariff_zone, required
/// for day_ahead_pricing (the zone whose prices to follow).
#[utoipa::path(put, path = "/api/v3/sites/{site}/smart-charging", tag = "Smart charging", params(("site" = String, Path)),
    request_body(content = Object, description = "timezone (required), smart_charging (disabled|off_peak|day_ahead_pricing, required), off_peak_start/off_peak_end (H:i, required for off_peak), day_ahead_pricing_strategy (automatic|manual), day_ahead_pricing_threshold (integer, required for manual), tariff_zone (required for day_ahead_pricing)"),
    responses((status = 200, body = inline(Data<SmartChargingView>)), (status = 404), (status = 422)))]
pub(crate) async fn update(
    State(state): State<ApiState>,
    caller: Caller,
    Path(site): Path<String>,
    bytes: Bytes,
) -> ApiResult<Json<Data<SmartChargingView>>> {
    let site = visible_site(&state, &caller, &site).await?;
    let mut b = Body::parse(&bytes)?;
    b.only(&[
        "timezone",
        "smart_charging",
        "day_ahead_pricing_strategy",
        "day_ahead_pricing_threshold",
        "day_ahead_pricing_smart_mode_price",
        "off_peak_start",
        "off_peak_end",
        "tariff_zone",
    ]);
    let current = state.store.smart_settings(site.id).await?;
    let mut next = current.clone();
    let timezone = b.opt_string("timezone", 64);
    let timezone = b.require("timezone", timezone);
    if let Some(tz) = &timezone {
        if Zone::named(tz).is_none() {
            b.error("timezone", TZ_MESSAGE);
        }
    }
    let mode = b.opt_choice("smart_charging", &SmartMode::ALL);
    let mode = b
        .require("smart_charging", mode)
        .and_then(|m| SmartMode::parse(&m));
    if b.has("day_ahead_pricing_smart_mode_price") {
        b.error(
            "day_ahead_pricing_smart_mode_price",
            "This field is read-only: it is computed from the prices.",
        );
    }
    if let Some(Some(s)) = b.opt_choice("day_ahead_pricing_strategy", &["automatic", "manual"]) {
        next.strategy = PriceStrategy::parse(&s).unwrap_or_default();
    }
    if let Some(v) = b.opt_i64("day_ahead_pricing_threshold", -1_000_000, 1_000_000) {
        next.threshold = v;
    }
    match b.opt_string("tariff_zone", 16) {
        Some(Some(z)) if zone_ok(&z) => next.tariff_zone = Some(z),
        Some(Some(_)) => b.error("tariff_zone", ZONE_MESSAGE),
        Some(None) => next.tariff_zone = None,
        None => {}
    }
    if let Some(mode) = mode {
        next.mode = mode;
        let off_peak = mode == SmartMode::OffPeak;
        if let Some(v) = hhmm(&mut b, "off_peak_start", off_peak, "off_peak") {
            next.off_peak_start = v;
        }
        if let Some(v) = hhmm(&mut b, "off_peak_end", off_peak, "off_peak") {
            next.off_peak_end = v;
        }
        if mode == SmartMode::DayAheadPricing {
            if next.strategy == PriceStrategy::Manual
                && next.threshold.is_none()
                && !b.has_error("day_ahead_pricing_threshold")
            {
                b.error(
                    "day_ahead_pricing_threshold",
                    "This field is required when `day_ahead_pricing_strategy` is `manual`.",
                );
            }
            if next.tariff_zone.is_none() && !b.has_error("tariff_zone") {
                b.error(
                    "tariff_zone",
                    "This field is required when `smart_charging` is `day_ahead_pricing`.",
                );
            }
        }
    }
    b.finish()?;
    if !caller.can_write(site.team_id) {
        return Err(ApiError::Forbidden);
    }
    if let Some(tz) = timezone.filter(|tz| *tz != site.address.timezone) {
        state
            .store
            .update_site(
                site.id,
                SitePatch {
                    timezone: Some(tz),
                    ..Default::default()
                },
            )
            .await?;
    }
    state.store.save_smart_settings(site.id, &next).await?;
    state.load.events().site_changed(site.id);
    let site = state
        .store
        .site_by_id(site.id)
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(data(view(&state, &site).await?))
}

// ---- day-ahead prices ----

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(crate) struct PriceView {
    /// Always `day_ahead`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub location: String,
    /// Start of the period the price holds for (until the next one, at most an hour).
    pub timestamp: String,
    pub price: f64,
    pub price_includes_tax: bool,
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub(crate) struct PriceQuery {
    /// The price zone, e.g. BE.
    pub location: Option<String>,
    /// Default: midnight UTC today.
    pub from: Option<String>,
    /// Default: two days after `from`.
    pub to: Option<String>,
}

#[utoipa::path(get, path = "/api/v3/tariffs", tag = "Smart charging", params(PriceQuery),
    responses((status = 200, body = inline(Data<Vec<PriceView>>)), (status = 422)))]
pub(crate) async fn list_prices(
    State(state): State<ApiState>,
    _caller: Caller,
    Query(q): Query<PriceQuery>,
) -> ApiResult<Json<Data<Vec<PriceView>>>> {
    let mut errors = crate::error::FieldErrors::new();
    let mut bad = |field: &str, msg: &str| {
        errors
            .entry(field.to_owned())
            .or_default()
            .push(msg.to_owned())
    };
    let location = q.location.filter(|l| !l.trim().is_empty());
    if location.is_none() {
        bad("location", "The location field is required.");
    }
    let mut time_param = |field: &str, v: Option<String>| match v {
        Some(s) => {
            let t = crate::time_fmt::parse(&s);
            if t.is_none() {
                bad(
                    field,
                    "Must be a valid date (RFC 3339, e.g. 2025-07-04T13:42:21Z).",
                );
            }
            t
        }
        None => None,
    };
    let from = time_param("from", q.from);
    let to = time_param("to", q.to);
    if !errors.is_empty() {
        return Err(ApiError::Invalid(errors));
    }
    let from = from.unwrap_or_else(|| OffsetDateTime::now_utc().replace_time(time::Time::MIDNIGHT));
    let to = to.unwrap_or(from + Duration::days(2));
    let prices = state
        .store
        .prices(location.as_deref().unwrap_or_default(), from, to)
        .await?;
    Ok(data(
        prices
            .into_iter()
            .map(|p| PriceView {
                kind: "day_ahead",
                location: p.location,
                timestamp: format(p.timestamp),
                price: p.price,
                price_includes_tax: p.price_includes_tax,
            })
            .collect(),
    ))
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(crate) struct ImportView {
    /// How many prices were stored (new or replaced).
    pub imported: usize,
    pub locations: Vec<String>,
}

const ZONE_MESSAGE: &str = "Must be a price zone code in capitals, such as `BE` or `NO-1`.";

/// A day-ahead price zone code: `BE`, `NL`, `NO-1`, `DE-LU`.
fn zone_ok(z: &str) -> bool {
    (2..=16).contains(&z.len())
        && z.chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '-')
}

/// `location,timestamp,price[,price_includes_tax]` with a header row.
fn parse_csv(text: &str) -> Result<Vec<DayAheadPrice>, ApiError> {
    let mut out = Vec::new();
    let mut errors = crate::error::FieldErrors::new();
    let mut lines = text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty());
    let header: Vec<String> = match lines.next() {
        Some((_, h)) => h
            .split(',')
            .map(|c| c.trim().to_ascii_lowercase())
            .collect(),
        None => Vec::new(),
    };
    let col = |name: &str| header.iter().position(|h| h == name);
    let (Some(loc), Some(ts), Some(pr)) = (col("location"), col("timestamp"), col("price")) else {
        return Err(ApiError::field(
            "csv",
            "The first line must name the columns: location,timestamp,price[,price_includes_tax].",
        ));
    };
    let tax = col("price_includes_tax");
    for (i, line) in lines {
        let cells: Vec<&str> = line.split(',').map(str::trim).collect();
        let row = i + 1;
        let cell = |c: usize| cells.get(c).copied().unwrap_or("");
        let location = cell(loc).to_owned();
        let timestamp = crate::time_fmt::parse(cell(ts));
        let price: Option<f64> = cell(pr).parse().ok().filter(|p: &f64| p.is_finite());
        let includes = tax.map(cell).unwrap_or("false");
        let includes = match includes {
            "1" | "true" => Some(true),
            "" | "0" | "false" => Some(false),
            _ => None,
        };
        match (zone_ok(&location), timestamp, price, includes) {
            (true, Some(timestamp), Some(price), Some(price_includes_tax)) => {
                out.push(DayAheadPrice {
                    location,
                    timestamp,
                    price,
                    price_includes_tax,
                })
            }
            _ => {
                errors.entry(format!("csv.line{row}")).or_default().push(
                    "Must be a zone code, an RFC 3339 timestamp, a number and optionally true/false."
                        .to_owned(),
                );
                if errors.len() >= 20 {
                    break;
                }
            }
        }
    }
    if !errors.is_empty() {
        return Err(ApiError::Invalid(errors));
    }
    Ok(out)
}

fn parse_json(bytes: &Bytes) -> Result<Vec<DayAheadPrice>, ApiError> {
    let mut b = Body::parse(bytes)?;
    b.only(&["location", "price_includes_tax", "prices"]);
    let location = b.required_string("location", 16);
    if location.as_deref().is_some_and(|z| !zone_ok(z)) {
        b.error("location", ZONE_MESSAGE);
    }
    let includes = b.opt_bool("price_includes_tax").flatten().unwrap_or(false);
    let rows = b.children("prices");
    let mut out = Vec::new();
    match rows {
        Some(rows) if !rows.is_empty() => {
            for mut row in rows {
                row.only(&["timestamp", "price"]);
                let ts = row.opt_time("timestamp");
                let ts = row.require("timestamp", ts);
                let price = row.opt_f64("price", f64::MIN, f64::MAX);
                let price = row.require("price", price);
                if let (Some(timestamp), Some(price), Some(location)) = (ts, price, &location) {
                    out.push(DayAheadPrice {
                        location: location.clone(),
                        timestamp,
                        price,
                        price_includes_tax: includes,
                    });
                }
                b.absorb(row);
            }
        }
        Some(_) => b.error("prices", "Must have at least 1 item."),
        None if !b.has_error("prices") => b.error("prices", "This field is required."),
        None => {}
    }
    b.finish()?;
    Ok(out)
}

/// Loads day-ahead prices (admins: they are market data shared by every site of the zone).
/// JSON `{"location": "BE", "price_includes_tax": false, "prices": [{"timestamp", "price"}]}`,
/// or `Content-Type: text/csv` with `location,timestamp,price[,price_includes_tax]`. Prices at
/// timestamps already stored are replaced.
#[utoipa::path(put, path = "/api/v3/tariffs", tag = "Smart charging",
    request_body(content = Object, description = "JSON {location, price_includes_tax, prices: [{timestamp, price}]} or text/csv with location,timestamp,price[,price_includes_tax]"),
    responses((status = 200, body = inline(Data<ImportView>)), (status = 403), (status = 422)))]
pub(crate) async fn import_prices(
    State(state): State<ApiState>,
    caller: Caller,
    headers: HeaderMap,
    bytes: Bytes,
) -> ApiResult<Json<Data<ImportView>>> {
    if !caller.user.is_admin {
        return Err(ApiError::Forbidden);
    }
    let csv = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/csv"));
    let prices = if csv {
        let text = std::str::from_utf8(&bytes)
            .map_err(|_| ApiError::field("csv", "Must be UTF-8 text."))?;
        parse_csv(text)?
    } else {
        parse_json(&bytes)?
    };
    if prices.len() > MAX_IMPORT {
        return Err(ApiError::field(
            "prices",
            format!("Must not have more than {MAX_IMPORT} items: split the import."),
        ));
    }
    state.store.save_prices(&prices).await?;
    let mut locations: Vec<String> = prices.iter().map(|p| p.location.clone()).collect();
    locations.sort();
    locations.dedup();
    Ok(data(ImportView {
        imported: prices.len(),
        locations,
    }))
}
