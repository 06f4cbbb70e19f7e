//! [`Transport`]: how a [`Pioctl`] reaches venus (spec §1), the seam that
//! [`crate::Client`] sends through and that [`crate::virtual_file`] (T1),
//! [`crate::control`] (T2) and the test seam [`crate::recording`]
//! implement.

use std::path::Path;

use crate::error::Result;
use crate::pioctl::Pioctl;

/// A way of delivering a [`Pioctl`] to venus and getting its output back.
pub trait Transport {
    /// The Coda mount point this transport talks through.
    fn mountpoint(&self) -> &Path;

    /// Sends one pioctl and returns venus's output bytes. Over T2 that is
    /// the whole `out_size` buffer, as the kernel does not report the
    /// length (spec §4.3).
    fn call(&self, pioctl: &Pioctl) -> Result<Vec<u8>>;
}

/// Which transport to use (spec §1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TransportKind {
    /// T1, the virtual `...PIOCTL.<hex>` file (current cfs; the default).
    #[default]
    VirtualFile,
    /// T2, the legacy ioctl on `<mnt>/.CONTROL`.
    ControlIoctl,
}
