import Foundation
import SpotterCore

/// `GET /v1/models`: every assistant, as an OpenAI model list.
package struct ModelList: Encodable {
    @SnakeCaseCodingKeys
    package struct Model: Encodable {
        package var id: String
        package var object = "model"
        package var created: Int
        package var ownedBy = "spotter"
        package var description: String

        package init(id: String, object: String = "model", created: Int, ownedBy: String = "spotter", description: String) {
            self.id = id
            self.object = object
            self.created = created
            self.ownedBy = ownedBy
            self.description = description
        }
    }
    package var object = "list"
    package var data: [Model]

    package init(object: String = "list", data: [Model]) {
        self.object = object
        self.data = data
    }
}
