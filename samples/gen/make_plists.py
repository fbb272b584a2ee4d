#!/usr/bin/env python3
"""Writes property lists for the plist printer and the semantic readers (python3 stdlib plistlib), each
checked by reading it back with plistlib:

  Restore.plist / Restore.bplist        an IPSW's Restore.plist, modelled on a real one's keys: DeviceMap,
                                        SystemRestoreImageFileSystems, RestoreRamDisks, RestoreKernelCaches
  SystemVersion.plist / .bplist         SystemVersion.plist of an RSR'd system (ProductVersionExtra "(a)")
  App-Info.plist                        an app bundle's Info.plist (no OSBundleLibraries)
  types.bplist                          every plist type: nested containers, strings needing escapes, a
                                        negative and a large integer, a real, booleans, a date, 40 bytes of
                                        data, a UID, an empty dict and array
  types.plist                           the same in XML (without the UID, which XML cannot hold)
  odd-types.plist                       a BuildManifest whose fields have unexpected types (diagnostics)
  no-identities.plist                   a BuildManifest-like plist whose BuildIdentities is a dict (an error)

Usage: make_plists.py OUT_DIR
"""
import datetime
import os
import plistlib
import sys

RESTORE = {
    "DeviceClass": "j414cap",
    "DeviceMap": [
        {"BDID": 0x28, "BoardConfig": "j414cap", "CPID": 0x6020, "Platform": "t6020", "SCEP": 1, "SDOM": 1},
        {"BDID": 0x2A, "BoardConfig": "j416cap", "CPID": 0x6020, "Platform": "t6020", "SCEP": 1, "SDOM": 1},
    ],
    "ProductBuildVersion": "22E261",
    "ProductType": "Mac14,6",
    "ProductVersion": "13.3.1",
    "RestoreKernelCaches": {"Release": "kernelcache.release.mac14g"},
    "RestoreRamDisks": {"Update": "090-10008-001.dmg", "User": "090-10009-001.dmg"},
    "SupportedProductTypeIDs": {"DFU": [0x1234], "Recovery": [0x5678]},
    "SupportedProductTypes": ["Mac14,6", "Mac14,10"],
    "SystemRestoreImageFileSystems": {"090-10001-001.dmg": "APFS"},
}

SYSTEM_VERSION = {
    "BuildID": "5A9C2C4E-0C8B-11EE-8C5B-0A1B2C3D4E5F",
    "ProductBuildVersion": "22E772610a",
    "ProductCopyright": "1983-2023 Apple Inc.",
    "ProductName": "macOS",
    "ProductUserVisibleVersion": "13.3.1 (a)",
    "ProductVersion": "13.3.1",
    "ProductVersionExtra": "(a)",
    "iOSSupportVersion": "16.4",
}

APP_INFO = {
    "CFBundleExecutable": "Calculator",
    "CFBundleIdentifier": "com.apple.calculator",
    "CFBundleName": "Calculator",
    "CFBundlePackageType": "APPL",
    "CFBundleShortVersionString": "10.16",
    "CFBundleVersion": "200",
    "LSMinimumSystemVersion": "13.3",
}


def types(with_uid):
    d = {
        "string": 'say "hi"\\\n\ttab',
        "negative": -32348,
        "large": 17993721663,
        "real": 1.5,
        "yes": True,
        "no": False,
        "date": datetime.datetime(2023, 7, 10, 14, 5, 9),
        "data": bytes(range(40)),
        "nested": {"array": [1, "two", [3]], "empty_dict": {}, "empty_array": []},
    }
    if with_uid:
        d["uid"] = plistlib.UID(7)
    return d


ODD = {
    "BuildIdentities": [
        {"Info": {"DeviceClass": 42, "Variant": "Customer Erase Install (IPSW)", "RestoreBehavior": "Erase"},
         "Manifest": {"KernelCache": {"Info": {"Path": "kernelcache.release.mac14g"}},
                      "OS": "not a dict",
                      "Cryptex1,SystemOS": {"Info": {"Path": ["not", "a", "string"]}}}},
        "not an identity",
    ],
    "ProductBuildVersion": "22E261",
    "ProductVersion": "13.3.1",
    "SupportedProductTypes": ["Mac14,6", 7],
}

NO_IDENTITIES = {"BuildIdentities": {"oops": 1}, "ProductBuildVersion": "22E261", "ProductVersion": "13.3.1"}


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    files = [
        ("Restore.plist", RESTORE, plistlib.FMT_XML),
        ("Restore.bplist", RESTORE, plistlib.FMT_BINARY),
        ("SystemVersion.plist", SYSTEM_VERSION, plistlib.FMT_XML),
        ("SystemVersion.bplist", SYSTEM_VERSION, plistlib.FMT_BINARY),
        ("App-Info.plist", APP_INFO, plistlib.FMT_XML),
        ("types.bplist", types(True), plistlib.FMT_BINARY),
        ("types.plist", types(False), plistlib.FMT_XML),
        ("odd-types.plist", ODD, plistlib.FMT_XML),
        ("no-identities.plist", NO_IDENTITIES, plistlib.FMT_XML),
    ]
    for name, value, fmt in files:
        data = plistlib.dumps(value, fmt=fmt, sort_keys=False)
        if plistlib.loads(data) != value:  # read back: the writer must have written what we meant
            sys.exit(f"{name}: plistlib reads back something else")
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)
    print(f"{out}: {len(files)} plists", file=sys.stderr)


if __name__ == "__main__":
    main()
