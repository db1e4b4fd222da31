//! Smart-charging settings and day-ahead prices.

use time::macros::datetime;
use voltgate_core::model::Address;
use voltgate_core::smart::{DayAheadPrice, PriceStrategy, SmartMode, SmartSettings, SmartStore};
use voltgate_core::store::{AccountStore, NewSite, SiteStore};

#[tokio::test]
async fn settings_and_prices_round_trip_on_every_engine() {
    for db in super::databases().await {
        let user = db
            .create_user("A", &format!("{}@example.com", uuid::Uuid::new_v4()), false)
            .await
            .unwrap();
        let team = db
            .create_team(user.id, "T", None, "company", true)
            .await
            .unwrap();
        let site = db
            .create_site(NewSite {
                team_id: team.id,
                address: Address {
                    name: "S".into(),
                    timezone: "Europe/Brussels".into(),
                    ..Default::default()
                },
            })
            .await
            .unwrap();
        assert_eq!(
            db.smart_settings(site.id).await.unwrap(),
            SmartSettings::default()
        );
        let s = SmartSettings {
            mode: SmartMode::DayAheadPricing,
            strategy: PriceStrategy::Manual,
            threshold: Some(42),
            off_peak_start: 60,
            off_peak_end: 120,
            tariff_zone: Some("BE".into()),
            updated_at: None,
        };
        db.save_smart_settings(site.id, &s).await.unwrap();
        let got = db.smart_settings(site.id).await.unwrap();
        assert_eq!(
            SmartSettings {
                updated_at: None,
                ..got.clone()
            },
            s
        );
        assert!(got.updated_at.is_some());

        let at = datetime!(2026-05-01 00:00 UTC);
        let prices: Vec<DayAheadPrice> = (0..600)
            .map(|h| DayAheadPrice {
                location: "BE".into(),
                timestamp: at + time::Duration::hours(h),
                price: h as f64 / 10.0,
                price_includes_tax: false,
            })
            .collect();
        db.save_prices(&prices).await.unwrap();
        // Replacing a price keeps one row per timestamp.
        db.save_prices(&[DayAheadPrice {
            price: -5.5,
            price_includes_tax: true,
            ..prices[1].clone()
        }])
        .await
        .unwrap();
        let got = db
            .prices("BE", at, at + time::Duration::hours(3))
            .await
            .unwrap();
        assert_eq!(got.len(), 3);
        assert_eq!(got[1].price, -5.5);
        assert!(got[1].price_includes_tax);
        assert_eq!(got[2].timestamp, at + time::Duration::hours(2));
        assert!(db
            .prices("NL", at, at + time::Duration::DAY)
            .await
            .unwrap()
            .is_empty());
        assert_eq!(
            db.prices("BE", at, at + time::Duration::hours(600))
                .await
                .unwrap()
                .len(),
            600
        );
    }
}
