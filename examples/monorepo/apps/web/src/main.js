document.getElementById("out").textContent += " (built with vite)";
