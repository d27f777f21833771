// swift-tools-version: 6.1
import PackageDescription

// Stages depend one way: FunnelCore <- FunnelReaders / FunnelTransform / FunnelWriters
// <- FunnelPipeline <- funnel. C libraries stay inside their system-library targets.
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
        .target(name: "FunnelCore"),
        .target(name: "FunnelReaders", dependencies: ["FunnelCore", "CZlib"]),
        .target(
            name: "FunnelTransform",
            dependencies: ["FunnelCore", "CMaxMindDB", .product(name: "Crypto", package: "swift-crypto")]
        ),
        .target(name: "FunnelWriters", dependencies: ["FunnelCore", "CHiredis"]),
        .target(
            name: "FunnelPipeline",
            dependencies: ["FunnelCore", "FunnelReaders", "FunnelTransform", "FunnelWriters", "CSQLite", "Yams"]
        ),
        .executableTarget(
            name: "funnel",
            dependencies: ["FunnelPipeline", "CJemalloc", .product(name: "ArgumentParser", package: "swift-argument-parser")]
        ),
        .target(
            name: "FunnelTestSupport",
            dependencies: ["FunnelCore", "FunnelWriters", .product(name: "Crypto", package: "swift-crypto")],
            path: "Tests/FunnelTestSupport"
        ),
        .testTarget(
            name: "FunnelTests",
            dependencies: ["FunnelCore", "FunnelReaders", "FunnelTransform", "FunnelWriters", "FunnelPipeline", "FunnelTestSupport"],
            exclude: ["Data"]
        ),
    ]
)
