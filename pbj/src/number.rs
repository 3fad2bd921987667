//! Number formatting as ECMAScript (`JSON.stringify`) and PHP (`json_encode`) write it.

/// Formats `v` like ECMAScript `Number.prototype.toString` (`1e+21`, `5e-324`, `-0` -> `0`).
pub fn js_number(v: f64) -> String {
    if v == 0.0 {
        return "0".into();
    }
    let mut buf = ryu_js::Buffer::new();
    buf.format(v).to_owned()
}

/// Appends `v` formatted like ECMAScript `Number.prototype.toString` to `out`.
pub fn push_js_number(out: &mut String, v: f64) {
    if v == 0.0 {
        out.push('0');
    } else {
        let mut buf = ryu_js::Buffer::new();
        out.push_str(buf.format(v));
    }
}

/// Formats `v` like PHP `json_encode` with `serialize_precision = -1` (`1.0e+25`, `0.1`).
pub fn php_number(v: f64) -> String {
    js_number(v)
}

/// Formats `v` like ECMAScript `Number.prototype.toFixed(digits)`.
pub fn js_to_fixed(v: f64, digits: u8) -> String {
    format!("{v:.*}", usize::from(digits))
}

/// PHP `(float)bcadd((string)v, '0', scale)`: truncates toward zero at `scale` digits.
pub fn php_decimal(v: f64, scale: u8) -> f64 {
    let f = 10f64.powi(i32::from(scale));
    (v * f).trunc() / f
}
