// The advisory component table: where each component Apple names in its security advisories lives
// on macOS 13+ / iOS 16+, and so whether an RSR could ship its fix. This is data shipped with
// upscope; `upscope verdict --list-components` prints it. Sources: docs/placement.md §1 (cryptex
// layout), §6 (real RSRs and the full updates that could not be RSRs), docs/formats/kc.md.
//  - Safari and WebKit-family names: the App cryptex (Safari.app) or the OS cryptex (WebKit,
//    JavaScriptCore and the other system libraries are images in the dyld shared cache, which
//    lives in the OS cryptex since macOS 13 / iOS 16).
//  - Kernel and kexts: kernel space in the kernel collections; never RSR-patchable.
//  - Daemons and apps installed on the sealed system volume: the SSV; never RSR-patchable.
// Names whose code lives in several places (AppleMobileFileIntegrity, Sandbox, Bluetooth, Wi-Fi, TCC:
// a kext and a daemon, or a daemon and a cache library) are deliberately absent: their Impact line
// may still decide (kernel privileges), else they stay undetermined rather than guessed.
// Names are matched case-insensitively and exactly; Apple's "WebKit Web Inspector"-style names
// match their own rows. A name missing here is reported as not analysed (verdict undetermined).
// Rows marked inferred place a component by our reading of what the name denotes and where those
// files are installed, not by Apple's documentation; their `why` starts with "inferred:" and gives
// the reason. tests/unit/test_advisory_corpus.cpp measures the table against Apple's advisories.
#include "analysis/advisory_placement.hpp"

#include <algorithm>
#include <cctype>

namespace upscope::advisory {

namespace {

constexpr const char* kDyld = "a library in the dyld shared cache, which lives in the OS cryptex";
constexpr const char* kWebKit = "WebKit stack: framework images in the OS cryptex's dyld shared cache";
constexpr const char* kSafari = "Safari.app and its frameworks: the App cryptex";
constexpr const char* kKext = "a kernel extension in the kernel collections (kernel space)";
constexpr const char* kKernel = "the kernel (kernel space)";
constexpr const char* kSsv = "installed on the sealed system volume";

#define USER_OS(n) {n, Location::kCryptexOs, Space::kUser, ComponentKind::kDyldCacheImage, kDyld, false}
#define WEBKIT(n) {n, Location::kCryptexOs, Space::kUser, ComponentKind::kDyldCacheImage, kWebKit, false}
#define KEXT(n) {n, Location::kBootKc, Space::kKernel, ComponentKind::kKext, kKext, false}
#define SSV(n) {n, Location::kSystemVolume, Space::kUser, ComponentKind::kMachO, kSsv, false}
// Rows whose placement is our inference, each with its own reason (ComponentRow::inferred).
#define INFERRED_OS(n, why) {n, Location::kCryptexOs, Space::kUser, ComponentKind::kDyldCacheImage, "inferred: " why, true}
#define INFERRED_APP(n, why) {n, Location::kCryptexApp, Space::kUser, ComponentKind::kAppBundle, "inferred: " why, true}
#define INFERRED_SSV(n, why) {n, Location::kSystemVolume, Space::kUser, ComponentKind::kMachO, "inferred: " why, true}
#define INFERRED_KERNEL(n, why) {n, Location::kBootKc, Space::kKernel, ComponentKind::kKernel, "inferred: " why, true}
// Developer tools and App Store apps are not part of the OS: an OS update (or RSR) cannot carry them.
#define NOT_OS(n, why) {n, Location::kDataVolume, Space::kUser, ComponentKind::kAppBundle, "inferred: " why, true}

const std::vector<ComponentRow> kTable = {
    // App cryptex
    {"Safari", Location::kCryptexApp, Space::kUser, ComponentKind::kAppBundle, kSafari, false},
    {"Safari Downloads", Location::kCryptexApp, Space::kUser, ComponentKind::kAppBundle, kSafari, false},
    {"Safari Private Browsing", Location::kCryptexApp, Space::kUser, ComponentKind::kAppBundle, kSafari, false},
    {"SafariServices", Location::kCryptexApp, Space::kUser, ComponentKind::kAppBundle, kSafari, false},
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
    {"Kernel", Location::kBootKc, Space::kKernel, ComponentKind::kKernel, kKernel, false},
    {"XNU", Location::kBootKc, Space::kKernel, ComponentKind::kKernel, kKernel, false},
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
    {"Boot ROM", Location::kPreboot, Space::kBoot, ComponentKind::kFirmware, "bootchain", false},
    {"iBoot", Location::kPreboot, Space::kBoot, ComponentKind::kFirmware, "bootchain", false},
    {"Firmware", Location::kPreboot, Space::kBoot, ComponentKind::kFirmware, "firmware", false},

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

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

}  // namespace

const std::vector<ComponentRow>& component_table() { return kTable; }

const ComponentRow* find_component(std::string_view name) {
  for (const auto& r : kTable)
    if (iequals(r.name, name)) return &r;
  return nullptr;
}

}  // namespace upscope::advisory
