// swift-tools-version: 6.1
import PackageDescription

// libFuzzer harnesses for funnel's parsers (issue 5), one executable per harness. A separate
// package, so `swift build` and `make test` of the main package never build them; `make fuzz`
// builds them with -sanitize=fuzzer,address and runs each for FUZZ_SECONDS.
let package = Package(
    name: "funnel-fuzz",
    dependencies: [.package(name: "funnel", path: "..")],
    targets: [
        .target(name: "CLibFuzzer"),
        .target(name: "FuzzSupport", dependencies: ["CLibFuzzer"]),
    ] + ["FuzzAccessLog", "FuzzLogFormat", "FuzzNDJSON", "FuzzURL", "FuzzUserAgent", "FuzzGzip", "FuzzStored"].map { name in
        .executableTarget(name: name, dependencies: ["FuzzSupport", .product(name: "FunnelPipeline", package: "funnel")])
    }
)
