//! A small HTTP/1.1 client over a plain socket: one request per connection
//! (`Connection: close`), the whole response read to the end.
//!
//! Hand-written on purpose: the relay's tests send what no well-behaved client sends (partial
//! heads, slow or oversized bodies, bodies in chunks), so they need the socket itself; and the
//! typed [`Client`](crate::Client) is built on the same few functions, so the tests need no
//! HTTP library.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use fluister_protocol::ErrorCode;
use fluister_protocol::error::ErrorBody;
use serde::de::DeserializeOwned;

/// The longest any single socket read or write may block, so a broken test fails instead of
/// hanging. No test asserts on durations.
pub const SOCKET_SAFETY_TIMEOUT: Duration = Duration::from_secs(60);

/// A whole HTTP response.
#[derive(Clone, Debug)]
pub struct Response {
    /// The status code.
    pub status: u16,
    /// Every header, in order, names as the relay sent them.
    pub headers: Vec<(String, String)>,
    /// The body, with chunked transfer decoded.
    pub body: Vec<u8>,
}

impl Response {
    /// The first value of a header, by case-insensitive name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(header_name, _)| header_name.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }

    /// The body as text.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The body as any JSON.
    pub fn json(&self) -> serde_json::Value {
        self.parse()
    }

    /// The body as one of the protocol's bodies; panics with the body if it is not one.
    pub fn parse<T: DeserializeOwned>(&self) -> T {
        serde_json::from_slice(&self.body).unwrap_or_else(|error| {
            panic!(
                "the {} body is not a {} ({error}): {}",
                self.status,
                std::any::type_name::<T>(),
                self.text()
            )
        })
    }

    /// The code of a refusal's body.
    pub fn error_code(&self) -> ErrorCode {
        self.parse::<ErrorBody>().error.code
    }

    /// Panics, showing the body, unless the status is `expected`; returns the response.
    #[track_caller]
    pub fn expect_status(self, expected: u16) -> Response {
        assert_eq!(self.status, expected, "{}", self.text());
        self
    }
}

/// Opens a connection with safety timeouts.
pub fn connect(address: SocketAddr) -> TcpStream {
    try_connect(address).expect("connect to the relay")
}

fn try_connect(address: SocketAddr) -> std::io::Result<TcpStream> {
    let stream = TcpStream::connect(address)?;
    stream.set_read_timeout(Some(SOCKET_SAFETY_TIMEOUT))?;
    stream.set_write_timeout(Some(SOCKET_SAFETY_TIMEOUT))?;
    Ok(stream)
}

/// Writes a request head (with `Connection: close`, a `Host`, and a `Content-Length` unless a
/// header gives the length) and the body. The body is written even if the relay has answered
/// and closed already (it may refuse before reading all of it).
pub fn write_request(
    stream: &mut TcpStream,
    address: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) {
    write_head(stream, address, method, path, headers, body).expect("write the request head");
    let _ = stream.write_all(body);
}

fn write_head(
    stream: &mut TcpStream,
    address: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> std::io::Result<()> {
    // The address as the Host, unless the caller names one.
    let mut head = if headers
        .iter()
        .any(|(name, _)| name.eq_ignore_ascii_case("host"))
    {
        format!("{method} {path} HTTP/1.1\r\nConnection: close\r\n")
    } else {
        format!("{method} {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n")
    };
    let mut has_length = false;
    for (name, value) in headers {
        if name.eq_ignore_ascii_case("content-length")
            || name.eq_ignore_ascii_case("transfer-encoding")
        {
            has_length = true;
        }
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    if !has_length && (!body.is_empty() || method == "POST") {
        head.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes())
}

/// Sends one request on a fresh connection and reads the response to the end; panics if the
/// relay cannot be reached or answers with something that is not HTTP.
pub fn request(
    address: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Response {
    let mut stream = connect(address);
    write_request(&mut stream, address, method, path, headers, body);
    read_response(&mut stream)
}

/// [`request`] for a relay that may die under it: any failure to connect, send or read a whole
/// response is an error (the request's outcome is then unknown).
pub fn try_request(
    address: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> std::io::Result<Response> {
    let mut stream = try_connect(address)?;
    write_head(&mut stream, address, method, path, headers, body)?;
    stream.write_all(body)?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw)?;
    parse_response(&raw).ok_or_else(|| {
        std::io::Error::new(std::io::ErrorKind::InvalidData, "not a whole HTTP response")
    })
}

/// Reads a whole response (the relay closes the connection after it).
pub fn read_response(stream: &mut TcpStream) -> Response {
    let mut raw = Vec::new();
    match stream.read_to_end(&mut raw) {
        Ok(_) => {}
        // A reset after the response was written still leaves the response readable.
        Err(error) if error.kind() == std::io::ErrorKind::ConnectionReset && !raw.is_empty() => {}
        Err(error) => panic!("reading the response failed: {error}"),
    }
    parse_response(&raw)
        .unwrap_or_else(|| panic!("malformed response: {:?}", String::from_utf8_lossy(&raw)))
}

/// Parses a complete HTTP/1.1 response, decoding a chunked body.
pub fn parse_response(raw: &[u8]) -> Option<Response> {
    let head_end = raw.windows(4).position(|window| window == b"\r\n\r\n")?;
    let head = std::str::from_utf8(&raw[..head_end]).ok()?;
    let mut lines = head.split("\r\n");
    let status_line = lines.next()?;
    let status: u16 = status_line.split(' ').nth(1)?.parse().ok()?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|line| {
            let (name, value) = line.split_once(':')?;
            Some((name.trim().to_owned(), value.trim().to_owned()))
        })
        .collect();
    let mut body = raw[head_end + 4..].to_vec();
    let chunked = headers.iter().any(|(name, value)| {
        name.eq_ignore_ascii_case("transfer-encoding") && value.eq_ignore_ascii_case("chunked")
    });
    if chunked {
        body = decode_chunked(&body)?;
    } else if let Some((_, length)) = headers
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case("content-length"))
    {
        let length: usize = length.parse().ok()?;
        body.truncate(length);
    }
    Some(Response {
        status,
        headers,
        body,
    })
}

fn decode_chunked(mut data: &[u8]) -> Option<Vec<u8>> {
    let mut body = Vec::new();
    loop {
        let line_end = data.windows(2).position(|window| window == b"\r\n")?;
        let size =
            usize::from_str_radix(std::str::from_utf8(&data[..line_end]).ok()?.trim(), 16).ok()?;
        data = &data[line_end + 2..];
        if size == 0 {
            return Some(body);
        }
        body.extend_from_slice(data.get(..size)?);
        data = data.get(size + 2..)?;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_chunked_refusal() {
        let body = r#"{"error":{"code":"challenge_invalid","message":"no"}}"#;
        let (first, second) = body.split_at(20);
        let raw = format!(
            "HTTP/1.1 409 Conflict\r\nContent-Type: application/json\r\n\
             Transfer-Encoding: chunked\r\n\r\n{:x}\r\n{first}\r\n{:x}\r\n{second}\r\n0\r\n\r\n",
            first.len(),
            second.len()
        );
        let response = parse_response(raw.as_bytes()).unwrap();
        assert_eq!(response.status, 409);
        assert_eq!(response.header("content-type"), Some("application/json"));
        assert_eq!(response.error_code(), ErrorCode::ChallengeInvalid);
        assert!(parse_response(b"HTTP/1.1 200 OK\r\n").is_none());
    }
}
