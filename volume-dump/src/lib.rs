//! Streaming reader and writer of Coda `volutil dump` streams.
