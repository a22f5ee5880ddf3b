// Results page: the domain radar. Values are the page's own figures, already truncated to two decimals.
// Labels must stay inside the chart on a phone: the radius shrinks with the width, names wrap after four
// characters, and ECharts measures the wrapped names when it lays the radar out.
(function () {
  var node = document.getElementById("radar");
  var source = document.getElementById("radar-data");
  if (!node || !source || !window.echarts) return;
  var data = JSON.parse(source.textContent);
  var chart = echarts.init(node, null, { renderer: "svg" });

  function wrap(name) {
    return name.length > 4 ? name.slice(0, 4) + "\n" + name.slice(4) : name;
  }

  function options() {
    var narrow = node.clientWidth < 480;
    return {
      animation: false,
      tooltip: { confine: true },
      radar: {
        indicator: data.names.map(function (n) { return { name: n, max: 5 }; }),
        center: ["50%", "52%"],
        radius: narrow ? "52%" : "66%",
        axisName: {
          color: "#1d3557",
          fontSize: narrow ? 11 : 13,
          formatter: function (name) { return narrow ? wrap(name) : name; }
        },
        nameGap: narrow ? 6 : 12,
        splitNumber: 5
      },
      series: [{
        type: "radar",
        areaStyle: { opacity: 0.2 },
        data: [{ value: data.values.map(Number), name: "能力域成熟度" }],
        label: {
          show: !narrow,
          formatter: function (p) { return data.values[p.dimensionIndex]; }
        }
      }]
    };
  }

  chart.setOption(options());
  window.addEventListener("resize", function () {
    chart.setOption(options());
    chart.resize();
  });
})();
