"""The SD card's partitions: one place for the build (build.py) and the emulator test (boot_test.py).

MBR with a fixed disk signature, so every partition has a known PARTUUID
(``5ca1ab1e-0N``) that reads the same on a Pi (/dev/mmcblk0pN) and in the
emulator (/dev/vdaN); fstab, cmdline.txt and RAUC's system.conf name
partitions only that way (see rootfs/etc/fstab and rootfs/etc/rauc/system.conf).
"""

from __future__ import annotations

from dataclasses import dataclass

DISK_SIGNATURE = 0x5CA1AB1E
SECTOR = 512
FIRST_SECTOR = 8192  # 4 MiB: the alignment SD cards like (erase blocks)
MIB = 1 << 20


@dataclass(frozen=True, slots=True)
class Partition:
    number: int
    name: str
    size_mib: int
    mbr_type: str  # sfdisk type code
    what: str

    @property
    def partuuid(self) -> str:
        return f"{DISK_SIGNATURE:08x}-{self.number:02d}"


BOOT = Partition(
    1, "boot", 256, "c", "FAT32: Pi firmware, config.txt, slot a/ and b/ kernels, the site config"
)
ROOT_A = Partition(2, "rootA", 1280, "83", "ext4, read-only: root slot A")
ROOT_B = Partition(3, "rootB", 1280, "83", "ext4, read-only: root slot B (RAUC writes it)")
DATA = Partition(4, "data", 256, "83", "ext4, writable: logs (capped), state, RAUC status, SSH host key")
PARTITIONS = (BOOT, ROOT_A, ROOT_B, DATA)


def offsets() -> dict[str, tuple[int, int]]:
    """Partition name -> (byte offset, byte size) in the disk image."""
    result = {}
    start = FIRST_SECTOR * SECTOR
    for part in PARTITIONS:
        size = part.size_mib * MIB
        result[part.name] = (start, size)
        start += size
    return result


def disk_size() -> int:
    start, size = offsets()[PARTITIONS[-1].name]
    return start + size


def sfdisk_script() -> str:
    lines = ["label: dos", f"label-id: 0x{DISK_SIGNATURE:08x}", "unit: sectors", ""]
    for part in PARTITIONS:
        start, size = offsets()[part.name]
        boot = ", bootable" if part is BOOT else ""
        lines.append(f"start={start // SECTOR}, size={size // SECTOR}, type={part.mbr_type}{boot}")
    return "\n".join(lines) + "\n"
