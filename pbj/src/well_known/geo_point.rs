use std::fmt;

/// Why coordinates are not a [`GeoPoint`].
#[derive(Debug, Clone, Copy, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum GeoPointError {
    /// A coordinate is NaN or infinite.
    #[error("GeoPoint coordinates must be finite numbers")]
    NotFinite,
    /// The latitude (rounded to 8 decimals) is outside [-90, 90].
    #[error("Latitude must be within range [-90.0, 90.0]")]
    Latitude {
        /// The rejected latitude.
        lat: f64,
    },
    /// The longitude (rounded to 8 decimals) is outside [-180, 180].
    #[error("Longitude must be within range [-180.0, 180.0]")]
    Longitude {
        /// The rejected longitude.
        lon: f64,
    },
}

/// A GeoJSON point; on the wire `{"type":"Point","coordinates":[lon,lat]}`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GeoPoint {
    lat: f64,
    lon: f64,
}

fn round8(v: f64) -> f64 {
    crate::number::js_to_fixed(v, 8).parse().unwrap_or(v)
}

impl GeoPoint {
    /// A point, JS semantics: both coordinates are first rounded to 8 decimals (JS
    /// `toFinite(x.toFixed(8))`, so `90.000000001` is accepted as `90`), then latitude must be in
    /// [-90, 90] and longitude in [-180, 180]. Deviation: JS turns NaN into 0; non-finite values
    /// are rejected here.
    ///
    /// ```
    /// let p = pbj::GeoPoint::new(0.5, 102.0)?;
    /// assert_eq!(p.to_string(), "0.5,102");
    /// assert!(pbj::GeoPoint::new(-118.3, 34.1).is_err());
    /// # Ok::<(), pbj::well_known::GeoPointError>(())
    /// ```
    pub fn new(lat: f64, lon: f64) -> Result<Self, GeoPointError> {
        if !lat.is_finite() || !lon.is_finite() {
            return Err(GeoPointError::NotFinite);
        }
        let (lat, lon) = (round8(lat), round8(lon));
        if !(-90.0..=90.0).contains(&lat) {
            return Err(GeoPointError::Latitude { lat });
        }
        if !(-180.0..=180.0).contains(&lon) {
            return Err(GeoPointError::Longitude { lon });
        }
        Ok(Self { lat, lon })
    }
    /// Latitude.
    pub fn lat(&self) -> f64 {
        self.lat
    }
    /// Longitude.
    pub fn lon(&self) -> f64 {
        self.lon
    }
}

/// `lat,lon` with JS number formatting (`0.5,102`).
impl fmt::Display for GeoPoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{},{}",
            crate::number::js_number(self.lat),
            crate::number::js_number(self.lon)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn js_semantics() {
        let p = GeoPoint::new(0.5, 102.0).unwrap();
        assert_eq!(p.to_string(), "0.5,102");
        assert_eq!(
            GeoPoint::new(34.123456789, -118.0000000049).unwrap().lat(),
            34.12345679
        );
        assert_eq!(GeoPoint::new(34.0, -118.0000000049).unwrap().lon(), -118.0);
        assert_eq!(GeoPoint::new(90.000000001, 0.0).unwrap().lat(), 90.0);
        assert!(GeoPoint::new(-118.347594, 34.1789335).is_err());
        assert!(GeoPoint::new(0.0, 180.1).is_err());
        assert!(GeoPoint::new(f64::NAN, 0.0).is_err());
    }
}
