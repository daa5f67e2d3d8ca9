/*
 * The map's measuring tool (测量): `L.Control.Measure`, a drop-in for leaflet-measure 3.1.0's
 * control (MIT, (c) 2017 LJA Engineering, Inc - GIS) — the same options, markup, classes,
 * events and look (leaflet-measure's own stylesheet, vendored with the other libraries,
 * still styles it) — that runs under the pages' Content-Security-Policy. leaflet-measure
 * compiles its HTML templates with lodash's `_.template`, which evaluates strings as code
 * (`Function(...)`), which the policy forbids ('unsafe-eval' is not allowed); here the
 * markup is built with DOM calls, every text set as text.
 *
 * Lengths are geodesic (haversine, mean earth radius 6371008.8 m, as turf's `length`), areas
 * spherical (radius 6378137 m, as turf's `area`), as leaflet-measure measured them. The
 * labels are its Chinese ones (leaflet-measure.cn.js).
 */
(function (L) {
    "use strict";
    if (!L) { return; }

    var WORDS = {
        measure: "测量",
        measureDistancesAndAreas: "同时测量距离和面积",
        createNewMeasurement: "开始一次新的测量",
        startCreating: "点击地图加点以开始创建测量",
        finishMeasurement: "完成测量",
        lastPoint: "最后点的坐标",
        area: "面积",
        perimeter: "周长",
        pointLocation: "点的坐标",
        areaMeasurement: "面积测量",
        linearMeasurement: "距离测量",
        pathDistance: "路径长度",
        centerOnArea: "该面积居中",
        centerOnLine: "该线段居中",
        centerOnLocation: "该位置居中",
        cancel: "取消",
        "delete": "删除",
        acres: "公亩",
        feet: "英尺",
        kilometers: "公里",
        hectares: "公顷",
        meters: "米",
        miles: "英里",
        sqfeet: "平方英尺",
        sqmeters: "平方米",
        sqmiles: "平方英里",
        decPoint: ".",
        thousandsSep: ","
    };
    // Factors with respect to metres and square metres.
    var UNITS = {
        acres: {factor: 0.00024711, display: "acres", decimals: 2},
        feet: {factor: 3.2808, display: "feet", decimals: 0},
        kilometers: {factor: 0.001, display: "kilometers", decimals: 2},
        hectares: {factor: 0.0001, display: "hectares", decimals: 2},
        meters: {factor: 1, display: "meters", decimals: 0},
        miles: {factor: 3.2808 / 5280, display: "miles", decimals: 2},
        sqfeet: {factor: 10.7639, display: "sqfeet", decimals: 0},
        sqmeters: {factor: 1, display: "sqmeters", decimals: 0},
        sqmiles: {factor: 0.000000386102, display: "sqmiles", decimals: 2}
    };
    var LENGTH_RADIUS_M = 6371008.8;
    var AREA_RADIUS_M = 6378137;

    // --- numbers ---------------------------------------------------------------------------

    function numberFormat(number, decimals, decPoint, thousandsSep) {
        decimals = decimals === undefined ? 2 : decimals;
        decPoint = decPoint === undefined ? "." : decPoint;
        thousandsSep = thousandsSep === undefined ? "," : thousandsSep;
        var sign = number < 0 ? "-" : "";
        var num = Math.abs(+number || 0);
        var intPart = parseInt(num.toFixed(decimals), 10) + "";
        var j = intPart.length > 3 ? intPart.length % 3 : 0;
        return [
            sign,
            j ? intPart.substr(0, j) + thousandsSep : "",
            intPart.substr(j).replace(/(\d{3})(?=\d)/g, "$1" + thousandsSep),
            decimals ? decPoint + Math.abs(num - intPart).toFixed(decimals).slice(2) : ""
        ].join("");
    }

    function pad(n) { return n < 10 ? "0" + n : String(n); }

    function dms(coordinate, positive, negative) {
        var dd = Math.abs(coordinate);
        var d = Math.floor(dd);
        var m = Math.floor((dd - d) * 60);
        var s = Math.round((dd - d - m / 60) * 3600 * 100) / 100;
        return pad(d) + "\u00b0 " + pad(m) + "' " + pad(s) + '" ' + (dd === coordinate ? positive : negative);
    }

    function rad(degrees) { return degrees * Math.PI / 180; }

    function lengthM(latlngs) {
        var total = 0;
        for (var i = 1; i < latlngs.length; i++) {
            var a = latlngs[i - 1], b = latlngs[i];
            var dLat = rad(b.lat - a.lat), dLon = rad(b.lng - a.lng);
            var h = Math.pow(Math.sin(dLat / 2), 2) +
                Math.pow(Math.sin(dLon / 2), 2) * Math.cos(rad(a.lat)) * Math.cos(rad(b.lat));
            total += 2 * Math.atan2(Math.sqrt(h), Math.sqrt(1 - h)) * LENGTH_RADIUS_M;
        }
        return total;
    }

    // The area of the ring through *latlngs* on the sphere (Chamberlain & Duquette).
    function areaM2(latlngs) {
        var n = latlngs.length;
        if (n < 3) { return 0; }
        var ring = latlngs.slice();
        if (!ring[0].equals(ring[n - 1])) { ring.push(ring[0]); }
        var total = 0;
        for (var i = 0; i < ring.length - 1; i++) {
            var lower = ring[i], middle = ring[i + 1], upper = ring[(i + 2) % (ring.length - 1)];
            total += (rad(upper.lng) - rad(lower.lng)) * Math.sin(rad(middle.lat));
        }
        return Math.abs(total * AREA_RADIUS_M * AREA_RADIUS_M / 2);
    }

    function calc(latlngs) {
        var last = latlngs[latlngs.length - 1];
        return {
            lastCoord: {
                dd: {x: last.lng, y: last.lat},
                dms: {x: dms(last.lng, "E", "W"), y: dms(last.lat, "N", "S")}
            },
            length: lengthM(latlngs),
            area: areaM2(latlngs)
        };
    }

    // --- markup ----------------------------------------------------------------------------

    // An element *tag* with *className*, its *children* (elements, or strings as text).
    function el(tag, className, children) {
        var node = document.createElement(tag);
        if (className) { node.className = className; }
        (children || []).forEach(function (child) {
            node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
        });
        return node;
    }
    function link(className, text, title) {
        var a = el("a", className, [text]);
        a.setAttribute("href", "#");
        if (title) { a.setAttribute("title", title); }
        return a;
    }
    function hide(node) { if (node) { node.setAttribute("style", "display:none;"); } }
    function show(node) { if (node) { node.removeAttribute("style"); } }
    function coordLines(model) {
        return [
            el("p", null, [model.lastCoord.dms.y + " ", el("span", "coorddivider", ["/"]), " " + model.lastCoord.dms.x]),
            el("p", null, [numberFormat(model.lastCoord.dd.y, 6) + " ", el("span", "coorddivider", ["/"]),
                " " + numberFormat(model.lastCoord.dd.x, 6)])
        ];
    }
    function tasks(centreText) {
        return el("ul", "tasks", [
            el("li", null, [link("js-zoomto zoomto", centreText)]),
            el("li", null, [link("js-deletemarkup deletemarkup", WORDS["delete"])])
        ]);
    }

    // --- the control -----------------------------------------------------------------------

    L.Control.Measure = L.Control.extend({
        _className: "leaflet-control-measure",
        options: {
            units: {},
            position: "topright",
            primaryLengthUnit: "feet",
            secondaryLengthUnit: "miles",
            primaryAreaUnit: "acres",
            activeColor: "#ABE67E",
            completedColor: "#C8F2BE",
            captureZIndex: 10000,
            popupOptions: {className: "leaflet-measure-resultpopup", autoPanPadding: [10, 10]}
        },

        initialize: function (options) {
            L.setOptions(this, options);
            this.options.units = L.extend({}, UNITS, this.options.units);
        },

        onAdd: function (map) {
            this._map = map;
            this._latlngs = [];
            this._initLayout();
            map.on("click", this._collapse, this);
            this._layer = L.layerGroup().addTo(map);
            return this._container;
        },

        onRemove: function (map) {
            map.off("click", this._collapse, this);
            map.removeLayer(this._layer);
        },

        _symbol: function (name) {
            var active = this.options.activeColor, done = this.options.completedColor;
            return {
                measureDrag: {interactive: false, radius: 4, color: active, weight: 2, opacity: 0.7,
                    fillColor: active, fillOpacity: 0.5, className: "layer-measuredrag"},
                measureArea: {interactive: false, stroke: false, fillColor: active, fillOpacity: 0.2,
                    className: "layer-measurearea"},
                measureBoundary: {interactive: false, color: active, weight: 2, opacity: 0.9, fill: false,
                    className: "layer-measureboundary"},
                measureVertex: {interactive: false, radius: 4, color: active, weight: 2, opacity: 1,
                    fillColor: active, fillOpacity: 0.7, className: "layer-measurevertex"},
                measureVertexActive: {interactive: false, radius: 4, color: active, weight: 2, opacity: 1,
                    fillColor: active, fillOpacity: 1, className: "layer-measurevertex active"},
                resultArea: {color: done, weight: 2, opacity: 0.9, fillColor: done, fillOpacity: 0.2,
                    className: "layer-measure-resultarea"},
                resultLine: {color: done, weight: 3, opacity: 0.9, fill: false,
                    className: "layer-measure-resultline"},
                resultPoint: {radius: 4, color: done, weight: 2, opacity: 1, fillColor: done,
                    fillOpacity: 0.7, className: "layer-measure-resultpoint"}
            }[name];
        },

        _initLayout: function () {
            var cls = this._className;
            var container = this._container = L.DomUtil.create("div", cls + " leaflet-bar");
            var toggle = this.$toggle = link(cls + "-toggle js-toggle", WORDS.measure, WORDS.measureDistancesAndAreas);
            var start = link("js-start start", WORDS.createNewMeasurement);
            var cancel = link("js-cancel cancel", WORDS.cancel);
            var finish = link("js-finish finish", WORDS.finishMeasurement);
            this.$startPrompt = el("div", "js-startprompt startprompt", [
                el("h3", null, [WORDS.measureDistancesAndAreas]), el("ul", "tasks", [start])
            ]);
            this.$startHelp = el("p", "js-starthelp", [WORDS.startCreating]);
            this.$results = el("div", "js-results results");
            this.$measureTasks = el("ul", "js-measuretasks tasks", [el("li", null, [cancel]), el("li", null, [finish])]);
            this.$measuringPrompt = el("div", "js-measuringprompt", [
                el("h3", null, [WORDS.measureDistancesAndAreas]), this.$startHelp, this.$results, this.$measureTasks
            ]);
            this.$interaction = el("div", cls + "-interaction js-interaction", [this.$startPrompt, this.$measuringPrompt]);
            container.appendChild(toggle);
            container.appendChild(this.$interaction);

            container.setAttribute("aria-haspopup", true);
            L.DomEvent.disableClickPropagation(container);
            L.DomEvent.disableScrollPropagation(container);

            this._collapse();
            this._updateMeasureNotStarted();

            if (!L.Browser.android) {
                L.DomEvent.on(container, "mouseenter", this._expand, this);
                L.DomEvent.on(container, "mouseleave", this._collapse, this);
            }
            L.DomEvent.on(toggle, "click", L.DomEvent.stop);
            L.DomEvent.on(toggle, L.Browser.touch ? "click" : "focus", this._expand, this);
            L.DomEvent.on(start, "click", L.DomEvent.stop);
            L.DomEvent.on(start, "click", this._startMeasure, this);
            L.DomEvent.on(cancel, "click", L.DomEvent.stop);
            L.DomEvent.on(cancel, "click", this._finishMeasure, this);
            L.DomEvent.on(finish, "click", L.DomEvent.stop);
            L.DomEvent.on(finish, "click", this._handleMeasureDoubleClick, this);
        },

        _expand: function () { hide(this.$toggle); show(this.$interaction); },
        _collapse: function () {
            if (!this._locked) { hide(this.$interaction); show(this.$toggle); }
        },

        _updateMeasureNotStarted: function () {
            hide(this.$startHelp); hide(this.$results); hide(this.$measureTasks);
            hide(this.$measuringPrompt); show(this.$startPrompt);
        },
        _updateMeasureStartedNoPoints: function () {
            hide(this.$results); show(this.$startHelp); show(this.$measureTasks);
            hide(this.$startPrompt); show(this.$measuringPrompt);
        },
        _updateMeasureStartedWithPoints: function () {
            hide(this.$startHelp); show(this.$results); show(this.$measureTasks);
            hide(this.$startPrompt); show(this.$measuringPrompt);
        },

        _startMeasure: function () {
            this._locked = true;
            this._measureVertexes = L.featureGroup().addTo(this._layer);
            this._captureMarker = L.marker(this._map.getCenter(), {
                interactive: true, zIndexOffset: this.options.captureZIndex, opacity: 0,
                autoPanOnFocus: false  // Leaflet >= 1.8 would pan to the map-sized marker
            }).addTo(this._layer);
            this._setCaptureMarkerIcon();
            this._captureMarker
                .on("mouseout", this._handleMapMouseOut, this)
                .on("dblclick", this._handleMeasureDoubleClick, this)
                .on("click", this._handleMeasureClick, this);
            this._map
                .on("mousemove", this._handleMeasureMove, this)
                .on("mouseout", this._handleMapMouseOut, this)
                .on("move", this._centerCaptureMarker, this)
                .on("resize", this._setCaptureMarkerIcon, this);
            L.DomEvent.on(this._container, "mouseenter", this._handleMapMouseOut, this);
            this._updateMeasureStartedNoPoints();
            this._map.fire("measurestart", null, false);
        },

        _finishMeasure: function () {
            var model = L.extend({}, this._resultsModel, {points: this._latlngs});
            this._locked = false;
            L.DomEvent.off(this._container, "mouseenter", this._handleMapMouseOut, this);
            this._clearMeasure();
            this._captureMarker
                .off("mouseout", this._handleMapMouseOut, this)
                .off("dblclick", this._handleMeasureDoubleClick, this)
                .off("click", this._handleMeasureClick, this);
            this._map
                .off("mousemove", this._handleMeasureMove, this)
                .off("mouseout", this._handleMapMouseOut, this)
                .off("move", this._centerCaptureMarker, this)
                .off("resize", this._setCaptureMarkerIcon, this);
            this._layer.removeLayer(this._measureVertexes).removeLayer(this._captureMarker);
            this._measureVertexes = null;
            this._updateMeasureNotStarted();
            this._collapse();
            this._map.fire("measurefinish", model, false);
        },

        _clearMeasure: function () {
            this._latlngs = [];
            this._resultsModel = null;
            this._measureVertexes.clearLayers();
            [this._measureDrag, this._measureArea, this._measureBoundary].forEach(function (layer) {
                if (layer) { this._layer.removeLayer(layer); }
            }, this);
            this._measureDrag = this._measureArea = this._measureBoundary = null;
        },

        _centerCaptureMarker: function () { this._captureMarker.setLatLng(this._map.getCenter()); },
        _setCaptureMarkerIcon: function () {
            this._captureMarker.setIcon(L.divIcon({iconSize: this._map.getSize().multiplyBy(2)}));
        },

        // `{lengthDisplay: "1,234 米 (1.23 公里)", areaDisplay: ...}` in the options' units.
        _getMeasurementDisplayStrings: function (measurement) {
            var units = this.options.units, o = this.options;
            function format(value, unit) {
                var u = L.extend({factor: 1, decimals: 0}, unit);
                var text = numberFormat(value * u.factor, u.decimals,
                    o.decPoint || WORDS.decPoint, o.thousandsSep || WORDS.thousandsSep);
                return [text, WORDS[u.display] || u.display].join(" ");
            }
            function display(value, primary, secondary) {
                if (primary && units[primary]) {
                    var shown = format(value, units[primary]);
                    if (secondary && units[secondary]) { shown += " (" + format(value, units[secondary]) + ")"; }
                    return shown;
                }
                return format(value, null);
            }
            return {
                lengthDisplay: display(measurement.length, o.primaryLengthUnit, o.secondaryLengthUnit),
                areaDisplay: display(measurement.area, o.primaryAreaUnit, o.secondaryAreaUnit)
            };
        },

        _updateResults: function () {
            var calced = calc(this._latlngs);
            var model = this._resultsModel = L.extend(
                {}, calced, this._getMeasurementDisplayStrings(calced), {pointCount: this._latlngs.length}
            );
            var groups = [el("div", "group", [el("p", "lastpoint heading", [WORDS.lastPoint])].concat(coordLines(model)))];
            if (model.pointCount > 1) {
                groups.push(el("div", "group", [el("p", null, [
                    el("span", "heading", [WORDS.pathDistance]), " " + model.lengthDisplay])]));
            }
            if (model.pointCount > 2) {
                groups.push(el("div", "group", [el("p", null, [
                    el("span", "heading", [WORDS.area]), " " + model.areaDisplay])]));
            }
            this.$results.textContent = "";
            groups.forEach(function (g) { this.$results.appendChild(g); }, this);
        },

        _handleMeasureMove: function (evt) {
            if (!this._measureDrag) {
                this._measureDrag = L.circleMarker(evt.latlng, this._symbol("measureDrag")).addTo(this._layer);
            } else {
                this._measureDrag.setLatLng(evt.latlng);
            }
            this._measureDrag.bringToFront();
        },

        _handleMeasureDoubleClick: function () {
            var latlngs = this._latlngs, feature, content;
            this._finishMeasure();
            if (!latlngs.length) { return; }
            if (latlngs.length > 2) { latlngs.push(latlngs[0]); }  // the whole perimeter
            var calced = calc(latlngs);
            var shown = L.extend({}, calced, this._getMeasurementDisplayStrings(calced));
            if (latlngs.length === 1) {
                feature = L.circleMarker(latlngs[0], this._symbol("resultPoint"));
                content = [el("h3", null, [WORDS.pointLocation])].concat(coordLines(calced), [tasks(WORDS.centerOnLocation)]);
            } else if (latlngs.length === 2) {
                feature = L.polyline(latlngs, this._symbol("resultLine"));
                content = [el("h3", null, [WORDS.linearMeasurement]), el("p", null, [shown.lengthDisplay]),
                    tasks(WORDS.centerOnLine)];
            } else {
                feature = L.polygon(latlngs, this._symbol("resultArea"));
                content = [el("h3", null, [WORDS.areaMeasurement]), el("p", null, [shown.areaDisplay]),
                    el("p", null, [shown.lengthDisplay + " " + WORDS.perimeter]), tasks(WORDS.centerOnArea)];
            }
            var popup = el("div", "", content);
            var zoom = popup.querySelector(".js-zoomto");
            L.DomEvent.on(zoom, "click", L.DomEvent.stop);
            L.DomEvent.on(zoom, "click", function () {
                if (feature.getBounds) {
                    this._map.fitBounds(feature.getBounds(), {padding: [20, 20], maxZoom: 17});
                } else if (feature.getLatLng) {
                    this._map.panTo(feature.getLatLng());
                }
            }, this);
            var remove = popup.querySelector(".js-deletemarkup");
            L.DomEvent.on(remove, "click", L.DomEvent.stop);
            L.DomEvent.on(remove, "click", function () { this._layer.removeLayer(feature); }, this);
            feature.addTo(this._layer);
            feature.bindPopup(popup, this.options.popupOptions);
            feature.openPopup(feature.getBounds ? feature.getBounds().getCenter() : feature.getLatLng());
        },

        _handleMeasureClick: function (evt) {
            // The point under the mouse, not the capture marker's.
            var latlng = this._map.mouseEventToLatLng(evt.originalEvent);
            var last = this._latlngs[this._latlngs.length - 1];
            var vertex = this._symbol("measureVertex");
            if (!last || !latlng.equals(last)) {  // a double click clicks twice on one point
                this._latlngs.push(latlng);
                this._addMeasureArea(this._latlngs);
                this._addMeasureBoundary(this._latlngs);
                this._measureVertexes.eachLayer(function (layer) {
                    layer.setStyle(vertex);
                    if (layer._path) { layer._path.setAttribute("class", vertex.className); }
                });
                L.circleMarker(latlng, this._symbol("measureVertexActive")).addTo(this._measureVertexes);
                if (this._measureBoundary) { this._measureBoundary.bringToFront(); }
                this._measureVertexes.bringToFront();
            }
            this._updateResults();
            this._updateMeasureStartedWithPoints();
        },

        _handleMapMouseOut: function () {
            if (this._measureDrag) {
                this._layer.removeLayer(this._measureDrag);
                this._measureDrag = null;
            }
        },

        _addMeasureArea: function (latlngs) {
            if (latlngs.length < 3) {
                if (this._measureArea) { this._layer.removeLayer(this._measureArea); this._measureArea = null; }
                return;
            }
            if (!this._measureArea) {
                this._measureArea = L.polygon(latlngs, this._symbol("measureArea")).addTo(this._layer);
            } else {
                this._measureArea.setLatLngs(latlngs);
            }
        },

        _addMeasureBoundary: function (latlngs) {
            if (latlngs.length < 2) {
                if (this._measureBoundary) { this._layer.removeLayer(this._measureBoundary); this._measureBoundary = null; }
                return;
            }
            if (!this._measureBoundary) {
                this._measureBoundary = L.polyline(latlngs, this._symbol("measureBoundary")).addTo(this._layer);
            } else {
                this._measureBoundary.setLatLngs(latlngs);
            }
        }
    });

    L.control.measure = function (options) { return new L.Control.Measure(options); };
}(window.L));
