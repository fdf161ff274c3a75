//! Feeds arbitrary bytes to both envelope decoders, and decodes whatever
//! they accept all the way down, re-encoding it to check that the round trip is stable.
#![no_main]

use libfuzzer_sys::fuzz_target;
use swill_proto::{ErrorBody, RequestFrame, ResponseFrame};

fuzz_target!(|data: &[u8]| {
    if let Ok(frame) = RequestFrame::decode(data.to_vec().into()) {
        let _ = frame.data.to_value();
        let bytes = frame.encode();
        let again = RequestFrame::decode(bytes.clone().into()).expect("re-encoded frame decodes");
        // Bytes, not frames: a NaN in the data is never equal to itself.
        assert_eq!(again.encode(), bytes);
    }
    if let Ok(frame) = ResponseFrame::decode(data.to_vec().into()) {
        let _ = ErrorBody::from_payload(&frame.data);
        let bytes = frame.encode();
        let again = ResponseFrame::decode(bytes.clone().into()).expect("re-encoded frame decodes");
        assert_eq!(again.encode(), bytes);
    }
});
