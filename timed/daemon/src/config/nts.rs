//! `[nts]`: where the NTS server certificate chronyd presents is (docs/nts.md). timed reads it
//! hourly for its expiry metric (`crate::nts_watch`); `timectl status` and `timectl doctor` show
//! its fingerprint and expiry (`crate::nts_cert`).

use serde::Deserialize;
use std::path::PathBuf;

#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Nts {
    /// The certificate (PEM) chronyd's `ntsservercert` names; "" = this box serves no NTS.
    pub cert: PathBuf,
}

impl Default for Nts {
    fn default() -> Self {
        Nts { cert: crate::nts_cert::DEFAULT_CERT.into() }
    }
}
