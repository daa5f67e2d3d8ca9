/*
 * /docs: Swagger UI (vendored, web/static/vendor/swagger-ui-dist) over the service's OpenAPI
 * document, whose address the page gives in #swagger-ui's data-openapi-url. A file rather
 * than an inline script: the page's Content-Security-Policy runs this site's scripts only.
 * The options are those FastAPI's own /docs page uses.
 */
(function () {
    "use strict";
    var element = document.getElementById("swagger-ui");
    window.ui = SwaggerUIBundle({
        url: element.getAttribute("data-openapi-url"),
        dom_id: "#swagger-ui",
        layout: "BaseLayout",
        deepLinking: true,
        showExtensions: true,
        showCommonExtensions: true,
        validatorUrl: null,  // never ask validator.swagger.io about this API
        presets: [SwaggerUIBundle.presets.apis, SwaggerUIBundle.SwaggerUIStandalonePreset]
    });
}());
