// swift-tools-version: 6.1
import PackageDescription

// Stages depend one way: FunnelCore <- FunnelReaders / FunnelTransform / FunnelWriters
// <- FunnelPipeline <- funnel. C libraries stay inside their system-library targets.
// Release builds optimize across our modules (a record's field read in another module is then
// an inlined load, not a call that retains and releases its string) without the dynamic
// exclusivity checks that inlining would add on every access to a record's storage class;
// debug builds, which the tests run, keep every check. docs/performance.md, "Build flags".
let release: [SwiftSetting] = [.unsafeFlags(["-cross-module-optimization", "-enforce-exclusivity=unchecked"], .when(configuration: .release))]

let package = Package(
    name: "funnel",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "funnel", targets: ["funnel"]),
        .library(name: "FunnelPipeline", targets: ["FunnelPipeline"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
    ],
    targets: [
        .systemLibrary(name: "CZlib", path: "Sources/CZlib"),
        // No pkgConfig: hiredis.pc carries a -D flag SwiftPM rejects; the header is on the default path.
        .systemLibrary(name: "CHiredis", path: "Sources/CHiredis"),
        .systemLibrary(name: "CMaxMindDB", path: "Sources/CMaxMindDB"),
        .systemLibrary(name: "CSQLite", path: "Sources/CSQLite"),
        .systemLibrary(name: "CJemalloc", path: "Sources/CJemalloc"),
        // Header only: Linux's sync_file_range, which the Glibc module does not show.
        .systemLibrary(name: "CWriteback", path: "Sources/CWriteback"),
        // Header only: a prefetch hint (`__builtin_prefetch`).
        .systemLibrary(name: "CPrefetch", path: "Sources/CPrefetch"),
        .target(name: "FunnelCore", swiftSettings: release),
        .target(name: "FunnelReaders", dependencies: ["FunnelCore", "CZlib"], swiftSettings: release),
        .target(
            name: "FunnelTransform",
            dependencies: ["FunnelCore", "CMaxMindDB", .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: release
        ),
        .target(name: "FunnelWriters", dependencies: ["FunnelCore", "CHiredis", "CWriteback", "CZlib"], swiftSettings: release),
        .target(
            name: "FunnelPipeline",
            dependencies: ["FunnelCore", "FunnelReaders", "FunnelTransform", "FunnelWriters", "CSQLite", "CPrefetch", "Yams"],
            swiftSettings: release
        ),
        .executableTarget(
            name: "funnel",
            dependencies: ["FunnelPipeline", "CJemalloc", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            swiftSettings: release
        ),
        .target(
            name: "FunnelTestSupport",
            dependencies: ["FunnelCore", "FunnelWriters", .product(name: "Crypto", package: "swift-crypto")],
            path: "Tests/FunnelTestSupport"
        ),
        .testTarget(
            name: "FunnelTests",
            dependencies: ["FunnelCore", "FunnelReaders", "FunnelTransform", "FunnelWriters", "FunnelPipeline", "FunnelTestSupport", "CZlib"],
            exclude: ["Data"]
        ),
    ]
)
