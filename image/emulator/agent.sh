#!/bin/sh
# The emulator test's agent, run in the guest by systemd.run= on the kernel command
# line (image/boot_test.py puts it on the boot partition; it is not part of the image).
# It starts the lab node on the guest's own loopback, reports what the host checks as
# "IMAGE-TEST key value" lines on the serial console, and installs an update when asked.
set -u
say() { echo "IMAGE-TEST $*" > /dev/console; }
py=/opt/appliance/venv/bin/python
say agent-up "$(cut -d' ' -f1 /proc/uptime)"
/opt/appliance/venv/bin/appliance labnode --host 127.0.0.1 --port 8080 --token-lifetime 3600 \
    --width 320 --height 180 --fps 5 --log-level warning > /run/labnode.log 2>&1 &
say root-options "$(findmnt -no OPTIONS /)"
if touch /usr/.rw-probe 2>/dev/null; then say root-writable yes; rm -f /usr/.rw-probe; else say root-writable no; fi
say password-accounts "[$(awk -F: '$2 !~ /^[!*]/ {printf "%s,", $1}' /etc/shadow)]"
say getty "$(systemctl is-active getty@tty1.service serial-getty@ttyAMA0.service 2>&1 | tr '\n' ' ')"
say ssh "$(systemctl is-active ssh.service)"
say host-keys "[$(find /etc/ssh /var/lib/appliance-ssh -name "ssh_host_*_key" 2>/dev/null | tr "\n" ",")]"
say watchdog "$(systemctl show -p RuntimeWatchdogUSec --value) $(ls /dev/watchdog0 2>/dev/null)"
say timesyncd "$(systemctl is-enabled systemd-timesyncd.service)"
say data "$(findmnt -no OPTIONS /data)"
say booted-slot "$(/usr/lib/appliance/rauc-tryboot get-current)"
state=unknown
i=0
while [ "$i" -lt 600 ]; do
    state=$(systemctl show -p ActiveState --value appliance.service)
    [ "$state" = active ] || [ "$state" = failed ] && break
    if [ "$(systemctl show -p LoadState --value appliance.service)" = not-found ]; then state=not-found; break; fi
    if [ "$(systemctl show -p ActiveState --value appliance-site.service)" = failed ]; then state=site-failed; break; fi
    # every minute: what systemd is still waiting for (in the serial log, for a slow or stuck boot)
    [ $((i % 60)) = 59 ] && say waiting "$(systemctl list-jobs --no-legend 2>&1 | awk '{ print $2 "/" $4 }' | tr '\n' ' ')"
    sleep 1; i=$((i + 1))
done
say ready "$state $(systemctl show -p ActiveEnterTimestampMonotonic --value appliance.service)"
[ "$state" = site-failed ] && say site-error "$(journalctl -b -u appliance-site.service -o cat | tail -n 3 | tr '\n' ' ')"
if [ "$state" != active ]; then
    say jobs "$(systemctl list-jobs --no-legend 2>&1 | awk '{ print $2 "/" $4 }' | tr '\n' ' ')"
    say journal "$(journalctl -b -u appliance-site.service -u appliance.service -o cat | tail -n 6 | tr '\n' ' ')"
fi
if [ "$state" = active ]; then
    say call "$($py /boot/firmware/image-test-observer.py 'Emulated room' 300 2>&1 | tail -n 1)"
    say labnode "$(tail -n 8 /run/labnode.log | tr '\n' ' ')"
    say appliance-log "$(journalctl -b -u appliance.service -o cat | tail -n 6 | tr '\n' ' ')"
fi
# wait for the update guard's verdict on this boot
while [ "$(systemctl show -p ActiveState --value appliance-update-guard.service)" = active ]; do sleep 2; done
say rauc "$(rauc status --output-format=shell 2>/dev/null | grep -E '^RAUC_(SYSTEM_BOOTED_BOOTNAME|SYSTEM_PRIMARY|SLOT_STATE_[0-9]|SLOT_BOOT_STATUS_[0-9]|SLOT_BOOTNAME_[0-9])=' | tr '\n' ' ')"
say guard "$(journalctl -b -u appliance-update-guard.service -o cat | tail -n 1)"
if [ -e /boot/firmware/image-test-install ]; then
    rm -f /boot/firmware/image-test-install
    mkdir -p /run/update
    mount -o ro /dev/vdb /run/update
    t0=$(cut -d' ' -f1 /proc/uptime)
    if rauc install /run/update/update.raucb > /run/rauc-install.log 2>&1; then
        say install-s "$(awk -v a="$t0" -v b="$(cut -d' ' -f1 /proc/uptime)" 'BEGIN { printf "%.1f", b - a }')"
        say install ok
        sync
        /usr/lib/appliance/reboot-tryboot
        exit 0
    fi
    say install "failed: $(tail -n 2 /run/rauc-install.log | tr '\n' ' ')"
fi
say finished
sync
systemctl poweroff
