"""The quickstart of quart-cors 0.8.0, unchanged: it runs the same with this package."""

from quart import Quart, request

from quart_cors import cors, route_cors

app = Quart(__name__)
app = cors(app, allow_origin="*")


@app.route("/")
async def hello() -> str:
    return "Hello, Quart-CORS!"


@app.route("/api/data", methods=["GET", "POST"])
@route_cors(
    allow_origin="https://example.com",
    allow_methods=["GET", "POST"],
    allow_headers=["Content-Type"],
)
async def api_data() -> dict[str, object]:
    if request.method == "GET":
        return {"message": "This is your data!"}
    data = await request.get_json()
    return {"received": data, "message": "Data posted successfully!"}


if __name__ == "__main__":
    app.run()
