/* The proposal page (/proposals/{id}): its operations on a small Leaflet map, and the
 * approve / reject (withdraw) forms, which POST JSON with the signed-in session's
 * X-CSRF-Token (from GET /api/session). No inline handlers: wired here (CSP). */
(function () {
  "use strict";

  function drawMap() {
    var holder = document.getElementById("proposal-map");
    var data = document.getElementById("proposal-data");
    if (!holder || !data || typeof L === "undefined") return;
    var collection = JSON.parse(data.textContent || "{}");
    var map = L.map(holder, { attributionControl: false });
    var layer = L.geoJSON(collection, {
      style: function (feature) {
        return feature.properties.side === "before"
          ? { color: "#6b7785", weight: 2, dashArray: "5 4", fillOpacity: 0.08 }
          : { color: "#1f6fd1", weight: 2, fillOpacity: 0.25 };
      },
      onEachFeature: function (feature, shape) {
        var p = feature.properties;
        var text = document.createElement("div");
        text.textContent = p.parcel_code + " · " + p.land_use_code + " · " + p.status + " · " +
          p.area_mu + " 亩 (" + (p.side === "before" ? "变更前 before" : "变更后 after") + ")";
        shape.bindTooltip(text);
      },
    }).addTo(map);
    var bounds = layer.getBounds();
    if (bounds.isValid()) {
      map.fitBounds(bounds, { padding: [20, 20] });
    } else {
      map.setView([34.35, 107.3], 10);
    }
  }

  function say(text, isError) {
    var box = document.getElementById("decision-message");
    if (!box) return;
    box.textContent = text;
    box.className = isError ? "error" : "";
  }

  function csrfToken() {
    return fetch("/api/session", { credentials: "same-origin" }).then(function (response) {
      if (!response.ok) throw new Error("请先登录 Sign in first (/login)");
      return response.json();
    }).then(function (session) {
      return session.csrf_token;
    });
  }

  function post(path, body) {
    return csrfToken().then(function (token) {
      var headers = { "Content-Type": "application/json" };
      if (token) headers["X-CSRF-Token"] = token;
      return fetch(path, {
        method: "POST",
        credentials: "same-origin",
        headers: headers,
        body: JSON.stringify(body),
      });
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (answer) {
        if (!response.ok) {
          var detail = answer.message || answer.error || String(response.status);
          if (answer.parcels && answer.parcels.length) detail += " (" + answer.parcels.join(", ") + ")";
          throw new Error(detail);
        }
        return answer;
      });
    });
  }

  function wire(formId, action, bodyOf, done) {
    var form = document.getElementById(formId);
    if (!form) return;
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var buttons = document.querySelectorAll(".decide button");
      buttons.forEach(function (b) { b.disabled = true; });
      say("提交中… Sending…", false);
      var id = document.getElementById("proposal").getAttribute("data-proposal-id");
      post("/api/proposals/" + id + "/" + action, bodyOf(form)).then(function (answer) {
        say(done(answer), false);
        window.setTimeout(function () { window.location.reload(); }, 800);
      }).catch(function (error) {
        say(error.message, true);
        buttons.forEach(function (b) { b.disabled = false; });
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    drawMap();
    wire("approve-form", "approve", function (form) {
      var documentNo = form.elements.document_no.value.trim();
      return documentNo ? { document_no: documentNo } : {};
    }, function (answer) {
      return "已批准，变更集 " + answer.change_set.id + " Approved: change set " + answer.change_set.id;
    });
    wire("reject-form", "reject", function (form) {
      return { reason: form.elements.reason.value.trim() };
    }, function () {
      return "已处理 Done";
    });
  });
})();
