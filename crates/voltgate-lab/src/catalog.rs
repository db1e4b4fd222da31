//! A small catalog of charger models, so a definition can name `brand_slug` and `model_slug`
//! as OCPPLAB clients do instead of spelling out vendor, model, connectors and power. Unknown
//! slugs are refused. The figures are the public specifications of the models.

/// One charger model.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct CatalogModel {
    pub brand_slug: &'static str,
    pub model_slug: &'static str,
    pub vendor_name: &'static str,
    pub model: &'static str,
    pub number_of_connectors: i32,
    /// In W.
    pub max_charging_power: i64,
    pub connector_type: &'static str,
}

pub(crate) const CATALOG: &[CatalogModel] = &[
    CatalogModel {
        brand_slug: "voltgate",
        model_slug: "sim-ac-22",
        vendor_name: "Voltgate",
        model: "SimCharger AC 22",
        number_of_connectors: 1,
        max_charging_power: 22_000,
        connector_type: "Type2",
    },
    CatalogModel {
        brand_slug: "voltgate",
        model_slug: "sim-ac-2x11",
        vendor_name: "Voltgate",
        model: "SimCharger AC 2x11",
        number_of_connectors: 2,
        max_charging_power: 11_000,
        connector_type: "Type2",
    },
    CatalogModel {
        brand_slug: "wallbox",
        model_slug: "pulsar-plus",
        vendor_name: "Wallbox",
        model: "Pulsar Plus",
        number_of_connectors: 1,
        max_charging_power: 22_000,
        connector_type: "Type2",
    },
    CatalogModel {
        brand_slug: "abb",
        model_slug: "terra-ac",
        vendor_name: "ABB",
        model: "Terra AC",
        number_of_connectors: 1,
        max_charging_power: 22_000,
        connector_type: "Type2",
    },
    CatalogModel {
        brand_slug: "alfen",
        model_slug: "eve-double-pro-line",
        vendor_name: "Alfen",
        model: "Eve Double Pro-line",
        number_of_connectors: 2,
        max_charging_power: 22_000,
        connector_type: "Type2",
    },
];

/// The models of a brand, if it is known.
pub(crate) fn brand_known(brand: &str) -> bool {
    CATALOG.iter().any(|m| m.brand_slug == brand)
}

/// A model by its slugs.
pub(crate) fn find(brand: &str, model: &str) -> Option<&'static CatalogModel> {
    CATALOG
        .iter()
        .find(|m| m.brand_slug == brand && m.model_slug == model)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_models_by_their_slugs() {
        assert_eq!(
            find("wallbox", "pulsar-plus").unwrap().vendor_name,
            "Wallbox"
        );
        assert!(find("wallbox", "commander").is_none());
        assert!(brand_known("abb"));
        assert!(!brand_known("acme"));
    }
}
