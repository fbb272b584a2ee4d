// THE placement table (analysis/placement.hpp; docs/placement.md §1-§3 and §6): every rule that says
// where something lives and in which space its code runs. First match wins within a subject.
//  - Paths: cryptex roots first (their prefix decides the location; classify.cpp strips it to give
//    the install path), then cryptex images and their trust caches on Preboot, kernel collections and
//    kernelcaches (kernel space, never RSR-patchable), kext bundles, DriverKit, bootchain and
//    firmware, the Data volume (firmlinked paths included), and last the sealed system volume.
//    "data" space on a path row means the analyser refines it (a Mach-O there is user-space code).
//  - Image roles (IPSW members and image lists, build_images.cpp says how each is found and read):
//    kernelcaches and kernel collections are kernel space; "OS" is the sealed system volume, whose
//    files the path rows place; the OS and App cryptexes are what an RSR patches, and their root
//    hashes and trust caches change with them; the restore environment and the bootchain are boot
//    space (not installed anywhere, hence location unknown for the restore images); other cryptexes
//    are of unknown location, so a change there leaves the verdict undetermined rather than guessed.
//  - Components as Apple names them in advisories (matched exactly, in any case): Safari and
//    WebKit-family names live in the App cryptex (Safari.app) or the OS cryptex (WebKit,
//    JavaScriptCore and the other system libraries are images of the dyld shared cache, in the OS
//    cryptex since macOS 13 / iOS 16); the kernel and kexts in the kernel collections; daemons and
//    apps on the sealed system volume. Names whose code lives in several places
//    (AppleMobileFileIntegrity, Sandbox, Bluetooth, Wi-Fi, TCC: a kext and a daemon, or a daemon and
//    a cache library) are deliberately absent: their Impact line may still decide (kernel
//    privileges), else they stay undetermined. Rows marked inferred are our reading of what the name
//    denotes; tests/unit/test_advisory_corpus.cpp measures the component rows against Apple's
//    advisories. A name missing here is reported as not analysed (verdict undetermined).
#include "analysis/placement.hpp"

#include <cctype>

namespace upscope {

namespace {

constexpr Subject P = Subject::kPath, I = Subject::kImageRole, C = Subject::kComponent;
using L = Location;
using S = Space;
using K = ComponentKind;

constexpr const char* kDyld = "a library in the dyld shared cache, which lives in the OS cryptex";
constexpr const char* kWebKit = "WebKit stack: framework images in the OS cryptex's dyld shared cache";
constexpr const char* kSafari = "Safari.app and its frameworks: the App cryptex";
constexpr const char* kKext = "a kernel extension in the kernel collections (kernel space)";
constexpr const char* kKernel = "the kernel (kernel space)";
constexpr const char* kSsv = "installed on the sealed system volume";

#define USER_OS(n) {C, n, Location::kCryptexOs, Space::kUser, ComponentKind::kDyldCacheImage, kDyld, false}
#define WEBKIT(n) {C, n, Location::kCryptexOs, Space::kUser, ComponentKind::kDyldCacheImage, kWebKit, false}
#define KEXT(n) {C, n, Location::kBootKc, Space::kKernel, ComponentKind::kKext, kKext, false}
#define SSV(n) {C, n, Location::kSystemVolume, Space::kUser, ComponentKind::kMachO, kSsv, false}
// Rows whose placement is our inference, each with its own reason (PlacementRow::inferred).
#define INFERRED_OS(n, why) {C, n, Location::kCryptexOs, Space::kUser, ComponentKind::kDyldCacheImage, "inferred: " why, true}
#define INFERRED_APP(n, why) {C, n, Location::kCryptexApp, Space::kUser, ComponentKind::kAppBundle, "inferred: " why, true}
#define INFERRED_SSV(n, why) {C, n, Location::kSystemVolume, Space::kUser, ComponentKind::kMachO, "inferred: " why, true}
#define INFERRED_KERNEL(n, why) {C, n, Location::kBootKc, Space::kKernel, ComponentKind::kKernel, "inferred: " why, true}
// Developer tools and App Store apps are not part of the OS: an OS update (or RSR) cannot carry them.
#define NOT_OS(n, why) {C, n, Location::kDataVolume, Space::kUser, ComponentKind::kAppBundle, "inferred: " why, true}

const std::vector<PlacementRow> kTable = {
    // ---- Device paths ----
    // Cryptex roots: where the OS and App cryptexes are grafted or stored (classify.cpp strips them).
    {P, "/System/Volumes/Preboot/Cryptexes/OS|/System/Volumes/Preboot/Cryptexes/OS/**|"
        "/private/preboot/Cryptexes/OS|/private/preboot/Cryptexes/OS/**|/System/Cryptexes/OS|/System/Cryptexes/OS/**|"
        "/Preboot/Cryptexes/OS|/Preboot/Cryptexes/OS/**",
     L::kCryptexOs, S::kData, K::kFile, "a file of the OS cryptex, which an RSR can patch", false, "inside the OS cryptex",
     true},
    {P, "/System/Volumes/Preboot/Cryptexes/App|/System/Volumes/Preboot/Cryptexes/App/**|"
        "/private/preboot/Cryptexes/App|/private/preboot/Cryptexes/App/**|/System/Cryptexes/App|/System/Cryptexes/App/**|"
        "/Preboot/Cryptexes/App|/Preboot/Cryptexes/App/**",
     L::kCryptexApp, S::kData, K::kFile, "a file of the App cryptex, which an RSR can patch", false, "inside the App cryptex",
     true},
    // Cryptex images themselves, on Preboot (Preboot/<UUID>/cryptex1/current/{os,os.clone,app}.dmg)
    {P, "**/cryptex1/current/os.dmg", L::kCryptexOs, S::kUser, K::kCryptexImage, "the OS cryptex's disk image on Preboot"},
    {P, "**/cryptex1/current/os.clone.dmg", L::kCryptexOs, S::kUser, K::kCryptexImage,
     "the OS cryptex's disk image (its clone) on Preboot"},
    {P, "**/cryptex1/current/app.dmg", L::kCryptexApp, S::kUser, K::kCryptexImage, "the App cryptex's disk image on Preboot"},
    // Rosetta and other cryptexes: not known to be RSR-patchable, so never placed in the OS or App one
    {P, "**/cryptex1/current/**.dmg", L::kUnknown, S::kUser, K::kCryptexImage,
     "a cryptex image of a kind other than OS or App: not known to be RSR-patchable", false,
     "cryptex image of a kind other than OS or App"},
    // Their trust caches beside them (named like an IPSW's "<dmg>.trustcache"; the exact names on
    // Preboot are not confirmed from a real system, hence the globs)
    {P, "**/cryptex1/current/os*.trustcache", L::kCryptexOs, S::kData, K::kTrustCache,
     "the OS cryptex's trust cache, which changes with it"},
    {P, "**/cryptex1/current/app*.trustcache", L::kCryptexApp, S::kData, K::kTrustCache,
     "the App cryptex's trust cache, which changes with it"},
    // Kernel collections and kernelcaches: kernel space, never RSR-patchable
    {P, "**/KernelCollections/BootKernelExtensions.kc*", L::kBootKc, S::kKernel, K::kFile,
     "the boot kernel collection: the kernel and the kexts it boots with"},
    {P, "/System/Library/KernelCollections/SystemKernelExtensions.kc*", L::kSystemKc, S::kKernel, K::kFile,
     "the system kernel collection: Apple kexts loaded after boot"},
    {P, "/Library/KernelCollections/AuxiliaryKernelExtensions.kc*", L::kAuxKc, S::kKernel, K::kFile,
     "the auxiliary kernel collection: third-party kexts"},
    {P, "**/com.apple.kernelcaches/kernelcache*", L::kKernelcache, S::kKernel, K::kKernel,
     "a kernelcache on Preboot: the kernel collection that boots"},
    {P, "/kernelcache*", L::kKernelcache, S::kKernel, K::kKernel, "a kernelcache at the root of a restore tree"},
    {P, "/System/Library/Kernels/kernel*", L::kSystemVolume, S::kKernel, K::kKernel,
     "a kernel binary on the sealed system volume"},
    // Kext bundles on disk (macOS 11+: the KC copy is what loads; the bundle still ships on the SSV)
    {P, "/System/Library/Extensions/**", L::kSystemVolume, S::kKernel, K::kKext,
     "a kext bundle on the sealed system volume (its code loads from a kernel collection)"},
    {P, "/Library/Apple/System/Library/Extensions/**", L::kDataVolume, S::kKernel, K::kKext,
     "an Apple kext installed on the data volume"},
    {P, "/Library/Extensions/**", L::kDataVolume, S::kKernel, K::kKext, "a third-party kext on the data volume"},
    // DriverKit extensions run in user space
    {P, "/System/Library/DriverExtensions/**", L::kSystemVolume, S::kUser, K::kFile,
     "a DriverKit extension: a driver that runs in user space"},
    {P, "/Library/DriverExtensions/**", L::kDataVolume, S::kUser, K::kFile,
     "a third-party DriverKit extension (user space, data volume)"},
    // Recovery and bootchain
    {P, "/System/Volumes/Recovery/**", L::kUnknown, S::kBoot, K::kFirmware,
     "the recovery volume (BaseSystem images): boot, not the installed OS", false,
     "recovery BaseSystem image (basesystem_patches/)"},
    {P, "/System/Volumes/Preboot/**", L::kPreboot, S::kBoot, K::kFirmware, "Preboot: the bootchain and its firmware"},
    {P, "/usr/standalone/**", L::kSystemVolume, S::kBoot, K::kFirmware, "firmware images shipped on the system volume"},
    {P, "**/*.im4p", L::kUnknown, S::kBoot, K::kFirmware, "an Image4 payload: firmware or a boot object"},
    // The Data volume (firmlinked paths included)
    {P, "/System/Volumes/Data/**", L::kDataVolume, S::kData, K::kFile, "the data volume"},
    {P, "/Users/**", L::kDataVolume, S::kData, K::kFile, "users' homes, on the data volume"},
    {P, "/private/var/**", L::kDataVolume, S::kData, K::kFile, "/private/var, firmlinked to the data volume"},
    {P, "/Library/**", L::kDataVolume, S::kData, K::kFile, "/Library, firmlinked to the data volume"},
    {P, "/Applications/**", L::kDataVolume, S::kData, K::kFile, "/Applications, firmlinked to the data volume"},
    // Everything else Apple ships lives on the sealed system volume
    {P, "/System/**", L::kSystemVolume, S::kData, K::kFile, "the sealed system volume, which an RSR cannot patch"},
    {P, "/usr/**", L::kSystemVolume, S::kData, K::kFile, "the sealed system volume, which an RSR cannot patch"},
    {P, "/bin/**", L::kSystemVolume, S::kData, K::kFile, "the sealed system volume, which an RSR cannot patch"},
    {P, "/sbin/**", L::kSystemVolume, S::kData, K::kFile, "the sealed system volume, which an RSR cannot patch"},
    {P, "/private/etc/**", L::kSystemVolume, S::kData, K::kFile, "the sealed system volume, which an RSR cannot patch"},
    {P, "/Library", L::kDataVolume, S::kData, K::kFile, "/Library, firmlinked to the data volume"},

    // ---- Image roles of a build (build_images.cpp: how each is found and read) ----
    {I, "manifest", L::kUnknown, S::kData, K::kFile, "BuildManifest.plist: metadata, not installed"},
    {I, "restore-plist", L::kUnknown, S::kData, K::kFile, "Restore.plist: metadata, not installed"},
    {I, "kernelcache", L::kKernelcache, S::kKernel, K::kKernel, "the kernelcache (an IM4P-wrapped kernel collection)"},
    {I, "boot-kc", L::kBootKc, S::kKernel, K::kKernel, "the boot kernel collection"},
    {I, "system-kc", L::kSystemKc, S::kKernel, K::kKernel, "the system kernel collection"},
    {I, "aux-kc", L::kAuxKc, S::kKernel, K::kKernel, "the auxiliary kernel collection"},
    {I, "system-volume", L::kSystemVolume, S::kData, K::kFile,
     "the sealed system volume's image: its files are placed by the path rows"},
    {I, "cryptex-os", L::kCryptexOs, S::kUser, K::kCryptexImage, "the OS cryptex, which an RSR can patch"},
    {I, "cryptex-app", L::kCryptexApp, S::kUser, K::kCryptexImage, "the App cryptex, which an RSR can patch"},
    {I, "system-trust-cache", L::kSystemVolume, S::kData, K::kTrustCache, "the static trust cache of the system volume"},
    {I, "cryptex-os-trust-cache", L::kCryptexOs, S::kData, K::kTrustCache, "the OS cryptex's trust cache"},
    {I, "cryptex-app-trust-cache", L::kCryptexApp, S::kData, K::kTrustCache, "the App cryptex's trust cache"},
    {I, "system-seal", L::kSystemVolume, S::kData, K::kFile, "the system volume's root hash (its seal)"},
    {I, "cryptex-os-seal", L::kCryptexOs, S::kData, K::kFile, "the OS cryptex's root hash"},
    {I, "cryptex-app-seal", L::kCryptexApp, S::kData, K::kFile, "the App cryptex's root hash"},
    {I, "cryptex-other", L::kUnknown, S::kData, K::kCryptexImage,
     "a cryptex other than OS or App: not known to be RSR-patchable"},
    {I, "restore", L::kUnknown, S::kBoot, K::kFirmware, "the restore environment: boot space, not installed"},
    {I, "firmware", L::kPreboot, S::kBoot, K::kFirmware, "bootchain and coprocessor firmware"},

    // ---- Components as advisories name them ----
    // App cryptex
    {C, "Safari", Location::kCryptexApp, Space::kUser, ComponentKind::kAppBundle, kSafari, false},
    {C, "Safari Downloads", Location::kCryptexApp, Space::kUser, ComponentKind::kAppBundle, kSafari, false},
    {C, "Safari Private Browsing", Location::kCryptexApp, Space::kUser, ComponentKind::kAppBundle, kSafari, false},
    {C, "SafariServices", Location::kCryptexApp, Space::kUser, ComponentKind::kAppBundle, kSafari, false},
    // WebKit stack (OS cryptex, dyld cache)
    WEBKIT("WebKit"), WEBKIT("JavaScriptCore"), WEBKIT("WebKit Bluetooth"), WEBKIT("WebKit PDF"),
    WEBKIT("WebKit Process Model"), WEBKIT("WebKit Sandboxing"), WEBKIT("WebKit Storage"),
    WEBKIT("WebKit Web Inspector"), WEBKIT("WebKit Page Loading"), WEBKIT("WebRTC"), WEBKIT("WebGL"),
    // Other system libraries in the dyld shared cache (OS cryptex)
    USER_OS("ImageIO"), USER_OS("CoreMedia"), USER_OS("FontParser"), USER_OS("CoreGraphics"), USER_OS("CoreText"),
    USER_OS("libxml2"), USER_OS("libxpc"), USER_OS("libc"), USER_OS("libsystem"), USER_OS("Model I/O"),
    USER_OS("CoreFoundation"), USER_OS("Foundation"), USER_OS("Security"),
    USER_OS("AVEVideoEncoder"), USER_OS("CoreAudio"), USER_OS("AppleScript"),
    USER_OS("LaunchServices"), USER_OS("Metal"), USER_OS("Vision"), USER_OS("NSURLSession"), USER_OS("CFNetwork"),
    USER_OS("libc++"), USER_OS("zlib"), USER_OS("curl"), USER_OS("SQLite"), USER_OS("libarchive"),
    // The kernel and kernel extensions
    {C, "Kernel", Location::kBootKc, Space::kKernel, ComponentKind::kKernel, kKernel, false},
    {C, "XNU", Location::kBootKc, Space::kKernel, ComponentKind::kKernel, kKernel, false},
    KEXT("IOSurfaceAccelerator"), KEXT("IOSurface"), KEXT("AppleAVD"), KEXT("IOMobileFrameBuffer"),
    KEXT("IOKit"), KEXT("IOHIDFamily"), KEXT("IOAcceleratorFamily"), KEXT("GPU Drivers"), KEXT("AppleGraphicsControl"),
    KEXT("Intel Graphics Driver"), KEXT("AMD"), KEXT("AppleJPEGDriver"), KEXT("Apple Neural Engine"),
    KEXT("APFS"), KEXT("AppleEmbeddedAudio"), KEXT("CoreCapture"), KEXT("AppleSPUHIDDriver"), KEXT("IOUSBDeviceFamily"), KEXT("IOGPUFamily"), KEXT("smbfs"), KEXT("NFS"),
    // Daemons and apps on the sealed system volume
    SSV("Shortcuts"), SSV("sharingd"), SSV("Siri"), SSV("Messages"), SSV("Mail"), SSV("Finder"), SSV("Dock"),
    SSV("Photos"), SSV("Contacts"), SSV("Calendar"), SSV("Notes"), SSV("Find My"), SSV("Maps"), SSV("Weather"),
    SSV("Screen Time"), SSV("Software Update"), SSV("System Settings"), SSV("OpenSSH"), SSV("sudo"), SSV("Terminal"), SSV("Archive Utility"), SSV("CUPS"), SSV("Installer"),
    SSV("PackageKit"), SSV("StorageKit"), SSV("Time Machine"), SSV("Voice Control"),
    SSV("Printing"), SSV("Console"), SSV("login"), SSV("Login Window"),
    SSV("Dev Tools"), SSV("Crash Reporter"), SSV("Spotlight"), SSV("Quick Look"),
    // Bootchain / firmware
    {C, "Boot ROM", Location::kPreboot, Space::kBoot, ComponentKind::kFirmware, "bootchain", false},
    {C, "iBoot", Location::kPreboot, Space::kBoot, ComponentKind::kFirmware, "bootchain", false},
    {C, "Firmware", Location::kPreboot, Space::kBoot, ComponentKind::kFirmware, "firmware", false},

    // ---- Added from the 2022-2026 advisories that ended undetermined (docs/formats/advisory.md §4) ----
    // Safari and WebKit names
    WEBKIT("WebKit Canvas"),
    INFERRED_APP("Safari Extensions", "Safari's extension support ships in Safari.app (the App cryptex)"),
    INFERRED_APP("Web Extensions", "Safari's web-extension support ships in Safari.app (the App cryptex)"),
    INFERRED_OS("Authentication Services", "the AuthenticationServices framework, a dyld shared cache image (OS cryptex)"),
    // Libraries in the dyld shared cache
    INFERRED_OS("libxslt", "/usr/lib/libxslt.1.dylib, a dyld shared cache image (OS cryptex), like libxml2"),
    INFERRED_OS("WindowServer", "its code is SkyLight.framework, a dyld shared cache image (OS cryptex); the "
                                "WindowServer executable is a stub"),
    // Daemons and apps on the sealed system volume
    INFERRED_SSV("Passwords", "the Passwords app (/System/Applications) on the sealed system volume"),
    INFERRED_SSV("Notification Services", "the notification daemon (usernotificationsd) on the sealed system volume"),
    INFERRED_SSV("Media Session", "audio/media sessions are arbitrated by a system daemon on the sealed system volume"),
    INFERRED_SSV("Wallet", "the Wallet app and its daemon (passd) on the sealed system volume; iOS 16.6.1 fixed it "
                           "with a full update although RSRs existed"),
    INFERRED_SSV("HomeKit", "accessory data is handled by the HomeKit daemon (homed) on the sealed system volume"),
    // The kernel
    INFERRED_KERNEL("RPAC", "a Pointer Authentication bypass that presupposes arbitrary read/write; pointer "
                            "authentication keys are managed by the kernel; Apple does not say where RPAC lives"),
    // Developer tools and apps outside the OS (Xcode and App Store apps in /Applications)
    NOT_OS("Xcode", "Xcode.app, installed in /Applications on the data volume; not part of the OS"),
    NOT_OS("IDE", "part of Xcode.app (/Applications, data volume); not part of the OS"),
    NOT_OS("IDE Assets", "part of Xcode.app (/Applications, data volume); not part of the OS"),
    NOT_OS("IDE Xcode Server", "part of Xcode.app (/Applications, data volume); not part of the OS"),
    NOT_OS("Instruments", "part of Xcode.app (/Applications, data volume); not part of the OS"),
    NOT_OS("Playgrounds", "part of Xcode.app (/Applications, data volume); not part of the OS"),
    NOT_OS("Simulator", "part of Xcode.app (/Applications, data volume); not part of the OS"),
    NOT_OS("Git", "Xcode's or the Command Line Tools' git (data volume); the OS has only a stub"),
    NOT_OS("GNU", "GNU tools in Xcode's toolchain (/Applications, data volume); not part of the OS"),
    NOT_OS("lldb", "Xcode's debugger (/Applications, data volume); not part of the OS"),
    NOT_OS("otool", "Xcode's toolchain (/Applications, data volume); not part of the OS"),
    NOT_OS("ld64", "Xcode's linker (/Applications, data volume); not part of the OS"),
    NOT_OS("iTMSTransporter", "Transporter, shipped with Xcode (/Applications, data volume); not part of the OS"),
    NOT_OS("GarageBand", "GarageBand.app from the App Store (/Applications, data volume); not part of the OS"),
};

#undef USER_OS
#undef WEBKIT
#undef KEXT
#undef SSV
#undef INFERRED_OS
#undef INFERRED_APP
#undef INFERRED_SSV
#undef INFERRED_KERNEL
#undef NOT_OS

bool same_char(char a, char b, bool any_case) {
  if (!any_case) return a == b;
  return std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b));
}

// One alternative: '*' within a '/'-separated component, '**' across them (backtracking to the last star).
bool glob(std::string_view pat, std::string_view s, bool any_case) {
  size_t p = 0, i = 0, star_p = std::string_view::npos, star_i = 0;
  bool star_any = false;
  while (i < s.size()) {
    if (p + 1 < pat.size() && pat[p] == '*' && pat[p + 1] == '*') {
      star_p = p += 2;
      star_i = i;
      star_any = true;
    } else if (p < pat.size() && pat[p] == '*') {
      star_p = ++p;
      star_i = i;
      star_any = false;
    } else if (p < pat.size() && same_char(pat[p], s[i], any_case)) {
      ++p;
      ++i;
    } else if (star_p != std::string_view::npos && (star_any || s[star_i] != '/')) {
      p = star_p;
      i = ++star_i;
    } else {
      return false;
    }
  }
  while (p < pat.size() && pat[p] == '*') ++p;
  return p == pat.size();
}

}  // namespace

const char* to_string(Subject s) {
  switch (s) {
    case Subject::kPath: return "path";
    case Subject::kImageRole: return "image-role";
    case Subject::kComponent: return "component";
  }
  return "?";
}

const std::vector<PlacementRow>& placement_table() { return kTable; }

bool placement_match(std::string_view pattern, std::string_view s, bool any_case) {
  while (true) {
    size_t bar = pattern.find('|');
    if (glob(pattern.substr(0, bar), s, any_case)) return true;
    if (bar == std::string_view::npos) return false;
    pattern.remove_prefix(bar + 1);
  }
}

const PlacementRow* find_placement(Subject subject, std::string_view s) {
  for (const auto& r : kTable)
    if (r.subject == subject && placement_match(r.pattern, s, subject == Subject::kComponent)) return &r;
  return nullptr;
}

}  // namespace upscope
