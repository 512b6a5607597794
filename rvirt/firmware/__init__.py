"""rvirt's built-in SBI firmware: what `-bios default` (or no -bios) boots instead of
OpenSBI, written in Python and run by the machine when a hart traps into it."""

from rvirt.firmware.sbi import (
    FIRMWARE_NAME,
    IMPL_ID,
    IMPL_VERSION,
    REGION_SIZE,
    SPEC_VERSION,
    Firmware,
    SbiCall,
)

__all__ = ["FIRMWARE_NAME", "IMPL_ID", "IMPL_VERSION", "REGION_SIZE", "SPEC_VERSION",
           "Firmware", "SbiCall"]
