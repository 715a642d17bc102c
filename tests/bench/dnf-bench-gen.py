# SPDX-License-Identifier: MIT
"""Synthetic Fedora-sized rpm-md metadata for bench-patch-dnf.sh: primary.xml with N
installed names (every tenth with a newer version) and OTHER packages not installed, and an
updateinfo.xml with a security advisory for every twentieth installed name and bugfix
advisories for the others.  python3 dnf-bench-gen.py N OTHER (writes in the current dir)"""
import sys, random
N = int(sys.argv[1]); OTHER = int(sys.argv[2])
random.seed(1)
pk = []
def pkg(name, ver):
    return (f'<package type="rpm"><name>{name}</name><arch>noarch</arch>'
            f'<version epoch="0" ver="{ver}" rel="1"/><checksum type="sha256" pkgid="YES">{"0"*64}</checksum>'
            f'<summary>b</summary><description>b</description><packager></packager><url></url>'
            f'<time file="1" build="1"/><size package="1" installed="0" archive="124"/>'
            f'<location href="{name}-{ver}-1.noarch.rpm"/><format><rpm:license>MIT</rpm:license>'
            f'<rpm:vendor></rpm:vendor><rpm:group>Unspecified</rpm:group><rpm:buildhost>h</rpm:buildhost>'
            f'<rpm:sourcerpm>{name}-{ver}-1.src.rpm</rpm:sourcerpm><rpm:header-range start="1" end="2"/>'
            f'<rpm:provides><rpm:entry name="{name}" flags="EQ" epoch="0" ver="{ver}" rel="1"/></rpm:provides>'
            f'</format></package>\n')
for i in range(N):
    pk.append(pkg(f"bp{i:05d}", "1.0"))
    if i % 10 == 0:
        pk.append(pkg(f"bp{i:05d}", "1.1"))
for i in range(OTHER):
    pk.append(pkg(f"other{i:06d}", "2.0"))
with open("primary.xml", "w") as f:
    f.write(f'<?xml version="1.0" encoding="UTF-8"?>\n<metadata xmlns="http://linux.duke.edu/metadata/common" '
            f'xmlns:rpm="http://linux.duke.edu/metadata/rpm" packages="{len(pk)}">\n')
    f.writelines(pk)
    f.write("</metadata>\n")
with open("updateinfo.xml", "w") as f:
    f.write('<?xml version="1.0" encoding="UTF-8"?>\n<updates>\n')
    for i in range(0, N, 20):
        f.write(f'<update from="x" status="stable" type="security" version="1"><id>FEDORA-2026-{i:05d}</id>'
                f'<title>t</title><severity>Important</severity><issued date="2026-11-01 00:00:00"/>'
                f'<pkglist><collection short="c"><name>c</name><package name="bp{i:05d}" version="1.1" release="1" '
                f'epoch="0" arch="noarch"><filename>x.rpm</filename></package></collection></pkglist></update>\n')
    for i in range(0, OTHER, 10):
        f.write(f'<update from="x" status="stable" type="bugfix" version="1"><id>FEDORA-2026-B{i:06d}</id>'
                f'<title>t</title><issued date="2026-11-01 00:00:00"/>'
                f'<pkglist><collection short="c"><name>c</name><package name="other{i:06d}" version="2.0" release="1" '
                f'epoch="0" arch="noarch"><filename>x.rpm</filename></package></collection></pkglist></update>\n')
    f.write("</updates>\n")
