import FunnelTransform
import FuzzSupport

// A user agent classified for device, browser and bot, with a pipeline's own bot patterns on
// top of the built-in ones. One classifier, as a run has: its cache only skips inputs that
// were already classified.
let classifier = UserAgentClassifier(extraBotPatterns: ["InternalProbe", "Überwachung"])

fuzz { input in
    _ = classifier.classify(String(decoding: input, as: UTF8.self))
}
