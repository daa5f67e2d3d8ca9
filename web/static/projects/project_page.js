/* A key project's page (/projects/{code}): its parcels on a small Leaflet map, from the
 * GeoJSON the page carries in <script type="application/json" id="project-parcels">.
 * Every text of a parcel goes in as text (never as HTML). No inline handlers (CSP).
 * When drawn, the map's element gets data-drawn="<number of parcels>". */
(function () {
  "use strict";

  function line(parent, text) {
    var div = document.createElement("div");
    div.textContent = text;
    parent.appendChild(div);
    return div;
  }

  function popup(p) {
    var box = document.createElement("div");
    var title = document.createElement("strong");
    title.textContent = p.parcel_code;
    box.appendChild(title);
    line(box, p.land_use + " " + (p.land_use_name || "") + " · " + p.status_zh);
    line(box, "面积 " + Number(p.area_mu).toFixed(2) + " 亩");
    if (p.holder) line(box, "权利人 " + p.holder);
    var link = document.createElement("a");
    link.href = p.history_url;
    link.textContent = "历史记录（" + p.versions + " 个版本）";
    box.appendChild(link);
    return box;
  }

  function drawMap() {
    var holder = document.getElementById("project-map");
    var data = document.getElementById("project-parcels");
    if (!holder || !data || typeof L === "undefined") return;
    var collection = JSON.parse(data.textContent || "{}");
    var map = L.map(holder, { attributionControl: false, scrollWheelZoom: false });
    var layer = L.geoJSON(collection, {
      style: function (feature) {
        return {
          className: "project-parcel",
          color: "#1d3557",
          weight: 2,
          fillColor: feature.properties.colour,
          fillOpacity: 0.55,
        };
      },
      onEachFeature: function (feature, shape) {
        var tip = document.createElement("span");
        tip.textContent = feature.properties.parcel_code;
        shape.bindTooltip(tip);
        shape.bindPopup(popup(feature.properties));
      },
    }).addTo(map);
    var bounds = layer.getBounds();
    if (bounds.isValid()) {
      map.fitBounds(bounds, { padding: [24, 24], maxZoom: 17 });
    } else {
      map.setView([34.35, 107.3], 10);
    }
    holder.setAttribute("data-drawn", String(layer.getLayers().length));
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", drawMap);
  } else {
    drawMap();
  }
})();
