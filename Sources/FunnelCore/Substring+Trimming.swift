extension Substring {
    /// The text without the characters `isBlank` takes at either end: each reader trims a
    /// field by its own idea of a blank (a log's city name spaces, an address spaces and tabs,
    /// an event's URL line ends too), with one walk.
    public func trimming(_ isBlank: (Character) -> Bool) -> Substring {
        var text = drop(while: isBlank)
        while let last = text.last, isBlank(last) { text = text.dropLast() }
        return text
    }
}
