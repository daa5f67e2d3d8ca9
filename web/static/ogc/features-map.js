/*
 * The OGC API's HTML pages: a map of the features the page shows (web/templates/ogc_items.html
 * and ogc_item.html). The features come in a JSON data block (<script type="application/json"
 * id="features">), the line weight in the map element's data-weight; nothing runs inline, so
 * the pages need no script nonce.
 */
(function () {
    "use strict";
    var element = document.getElementById("map");
    var source = document.getElementById("features");
    if (!element || !source || !window.L) { return; }
    var data = JSON.parse(source.textContent);
    var weight = Number(element.getAttribute("data-weight")) || 1;
    var map = L.map(element);
    var layer = L.geoJSON(data, {style: {color: "#1d3557", weight: weight}}).addTo(map);
    if (layer.getBounds().isValid()) {
        map.fitBounds(layer.getBounds());
    } else {
        map.setView([34.35, 107.3], 10);  // the city's parks
    }
}());
