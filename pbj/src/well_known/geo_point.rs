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
///
/// Coordinates keep the full double, as the PHP implementation does, so an item or document a
/// PHP service wrote (`-98.765432109876`, `0.30000000000000004`) reads back unchanged. The JS
/// implementation rounds both coordinates to 8 decimals in its constructor
/// (`src/well-known/GeoPoint.js` of `@gdbots/pbj`: `toFinite(toFinite(lat).toFixed(8))`), so
/// the writers of the JS flavour write [`GeoPoint::js_rounded`] (the bytes JS would write for
/// the same point) and the PHP flavour writes the full double.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GeoPoint {
    lat: f64,
    lon: f64,
}

/// JS `toFinite(x.toFixed(8))`.
fn round8(v: f64) -> f64 {
    crate::number::js_to_fixed(v, 8).parse().unwrap_or(v)
}

impl GeoPoint {
    /// A point with latitude in [-90, 90] and longitude in [-180, 180], kept at full precision.
    ///
    /// Accepts what the JS implementation accepts: the range is checked on the coordinates
    /// rounded to 8 decimals (so `90.000000001` is accepted, and clamped to `90`). Deviation:
    /// JS turns NaN into 0; non-finite values are rejected here.
    ///
    /// ```
    /// use pbj::GeoPoint;
    ///
    /// let p = GeoPoint::new(45.123456789012, -98.765432109876)?;
    /// assert_eq!(p.lon(), -98.765432109876);
    /// assert_eq!(p.js_rounded().lon(), -98.76543211);
    /// assert_eq!(GeoPoint::new(90.000000001, 0.0)?.lat(), 90.0);
    /// assert!(GeoPoint::new(90.00000001, 0.0).is_err());
    /// # Ok::<(), pbj::well_known::GeoPointError>(())
    /// ```
    pub fn new(lat: f64, lon: f64) -> Result<Self, GeoPointError> {
        if !lat.is_finite() || !lon.is_finite() {
            return Err(GeoPointError::NotFinite);
        }
        if !(-90.0..=90.0).contains(&round8(lat)) {
            return Err(GeoPointError::Latitude { lat });
        }
        if !(-180.0..=180.0).contains(&round8(lon)) {
            return Err(GeoPointError::Longitude { lon });
        }
        Ok(Self {
            lat: lat.clamp(-90.0, 90.0),
            lon: lon.clamp(-180.0, 180.0),
        })
    }

    /// Latitude.
    pub fn lat(&self) -> f64 {
        self.lat
    }

    /// Longitude.
    pub fn lon(&self) -> f64 {
        self.lon
    }

    /// The point as the JS implementation holds it: both coordinates rounded to 8 decimals.
    pub fn js_rounded(&self) -> Self {
        Self {
            lat: round8(self.lat),
            lon: round8(self.lon),
        }
    }
}

/// `lat,lon` with JS number formatting (`0.5,102`), at full precision.
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
    fn full_precision_with_the_js_range_check() {
        let p = GeoPoint::new(0.5, 102.0).unwrap();
        assert_eq!(p.to_string(), "0.5,102");
        let p = GeoPoint::new(34.123456789, -118.0000000049).unwrap();
        assert_eq!((p.lat(), p.lon()), (34.123456789, -118.0000000049));
        assert_eq!(
            (p.js_rounded().lat(), p.js_rounded().lon()),
            (34.12345679, -118.0)
        );
        assert_eq!(
            GeoPoint::new(0.30000000000000004, 0.0).unwrap().lat(),
            0.30000000000000004
        );
        assert_eq!(GeoPoint::new(90.000000001, 0.0).unwrap().lat(), 90.0);
        assert_eq!(GeoPoint::new(0.0, -180.000000004).unwrap().lon(), -180.0);
        assert!(GeoPoint::new(90.00000001, 0.0).is_err());
        assert!(GeoPoint::new(-118.347594, 34.1789335).is_err());
        assert!(GeoPoint::new(0.0, 180.1).is_err());
        assert!(GeoPoint::new(f64::NAN, 0.0).is_err());
    }
}
