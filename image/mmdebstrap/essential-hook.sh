#!/bin/sh
# mmdebstrap essential hook: defer the initramfs until every package is in.
# Without this mkinitramfs runs twice under qemu-user (kernel install, then the
# initramfs-tools trigger), each time forking thousands of emulated processes;
# customize-hook.sh builds it once. $1 is the root being built.
set -eu
mkdir -p "$1/boot/firmware" "$1/usr/sbin"
chroot "$1" dpkg-divert --quiet --local --rename --add /usr/sbin/update-initramfs
printf '#!/bin/sh\necho "update-initramfs: deferred to the image recipe customize hook" >&2\n' \
    > "$1/usr/sbin/update-initramfs"
chmod 755 "$1/usr/sbin/update-initramfs"
