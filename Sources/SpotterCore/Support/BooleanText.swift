/// Reads a yes-or-no setting or parameter as people write it: `true`/`false`, `1`/`0`, `yes`/`no`, `on`/`off`, in any
/// letter case. The one parser behind the `SPOTTER_*` switches and the HTTP query flags; nil for anything else.
public func parseBoolean(_ text: String) -> Bool? {
    switch text.lowercased() {
    case "1", "true", "yes", "on": true
    case "0", "false", "no", "off": false
    default: nil
    }
}
