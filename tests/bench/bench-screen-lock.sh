#!/bin/sh
# screen_lock speed: the check alone (duration_us in its result) on a fixture root with one
# GNOME user, and with 200 users spread over GNOME (dconf user databases and a locked
# system database), KDE Plasma and Xfce, 100 runs each; beside `dconf dump /` of one user
# database, what a person would run to read one user's settings. Prints the load average
# beside the medians; asserts nothing.
set -eu
build=$1
work=$(mktemp -d /tmp/vigie-bench-screen-lock.XXXXXX)
trap 'rm -rf "$work"' EXIT
command -v dconf >/dev/null || { echo "dconf-cli is not installed (packaging/deps.sh)"; exit 1; }

python3 - "$build/bin/vigie" "$work" <<'PY'
import json, os, statistics, subprocess, sys, time
vigie, work = sys.argv[1], sys.argv[2]

def compile_db(target, text, locks=()):
    src = f"{target}.d"
    os.makedirs(f"{src}/locks", exist_ok=True)
    open(f"{src}/00", "w").write(text)
    open(f"{src}/locks/00", "w").write("".join(l + "\n" for l in locks))
    os.makedirs(os.path.dirname(target), exist_ok=True)
    subprocess.run(["dconf", "compile", target, src], check=True)

def make_root(root, n):
    os.makedirs(f"{root}/etc/dconf/profile")
    os.makedirs(f"{root}/usr/share/xsessions")
    os.makedirs(f"{root}/var/lib/AccountsService/users")
    for s in ("gnome", "plasma", "xfce"):
        open(f"{root}/usr/share/xsessions/{s}.desktop", "w").write("[Desktop Entry]\n")
    open(f"{root}/etc/dconf/profile/user", "w").write("user-db:user\nsystem-db:local\n")
    compile_db(f"{root}/etc/dconf/db/local", "[org/gnome/desktop/screensaver]\nlock-enabled=true\n",
               ["/org/gnome/desktop/screensaver/lock-enabled"])
    users = []
    for i in range(n):
        name, home = f"user{i}", f"/home/user{i}"
        users.append(f"{name}:x:{1000 + i}:{1000 + i}::{home}:/bin/bash")
        os.makedirs(f"{root}{home}/.config")
        session = ("gnome", "plasma", "xfce")[i % 3] if n > 1 else "gnome"
        open(f"{root}/var/lib/AccountsService/users/{name}", "w").write(f"[User]\nSession={session}\n")
        if session == "gnome":
            compile_db(f"{root}{home}/.config/dconf/user",
                       "[org/gnome/desktop/session]\nidle-delay=uint32 600\n"
                       "[org/gnome/desktop/interface]\ngtk-theme='Adwaita'\n")
        elif session == "plasma":
            open(f"{root}{home}/.config/kscreenlockerrc", "w").write("[Daemon]\nTimeout=10\n")
        else:
            d = f"{root}{home}/.config/xfce4/xfconf/xfce-perchannel-xml"
            os.makedirs(d)
            open(f"{d}/xfce4-screensaver.xml", "w").write(
                '<?xml version="1.0" encoding="UTF-8"?>\n\n<channel name="xfce4-screensaver" version="1.0">\n'
                '  <property name="saver" type="empty">\n    <property name="idle-activation" type="empty">\n'
                '      <property name="delay" type="int" value="10"/>\n    </property>\n  </property>\n</channel>\n')
    open(f"{root}/etc/passwd", "w").write("root:x:0:0::/root:/bin/bash\n" + "\n".join(users) + "\n")

def median_us(root, runs=100):
    us = []
    for _ in range(runs):
        out = subprocess.run([vigie, "check", "--json", "--only", "screen_lock", "--no-state", "--root", root],
                             capture_output=True, text=True).stdout
        us.append(json.loads(out)["checks"][0]["duration_us"])
    return statistics.median(us)

for n in (1, 200):
    root = f"{work}/root{n}"
    make_root(root, n)
    print(f"  check alone, {n:3} user(s)          median {median_us(root) / 1000:8.3f} ms (duration_us)"
          f"   load average {os.getloadavg()[0]:.2f}")
db = f"{work}/root1/home/user0/.config/dconf/user"
open(f"{work}/profile", "w").write(f"file-db:{db}\n")
t = []
for _ in range(50):
    t0 = time.monotonic()
    subprocess.run(["dconf", "dump", "/"], env={**os.environ, "DCONF_PROFILE": f"{work}/profile"},
                   capture_output=True)
    t.append((time.monotonic() - t0) * 1000)
print(f"  dconf dump / (process, one db)      median {statistics.median(t):8.3f} ms   "
      f"load average {os.getloadavg()[0]:.2f}")
PY
