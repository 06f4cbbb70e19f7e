//! Venus pioctls issued directly, over the virtual-file and legacy ioctl transports.
