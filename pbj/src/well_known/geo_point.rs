/// A GeoJSON point; on the wire `{"type":"Point","coordinates":[lon,lat]}`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GeoPoint {
    lat: f64,
    lon: f64,
}

impl GeoPoint {
    /// A point; latitude in [-90, 90], longitude in [-180, 180].
    pub fn new(lat: f64, lon: f64) -> Result<Self, String> {
        if !(-90.0..=90.0).contains(&lat) {
            return Err("latitude must be within range [-90.0, 90.0]".into());
        }
        if !(-180.0..=180.0).contains(&lon) {
            return Err("longitude must be within range [-180.0, 180.0]".into());
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
