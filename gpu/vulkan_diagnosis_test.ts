/**
 * The "why no WebGPU adapter" diagnosis as a pure function of a fake file system: each missing
 * piece (loader, ICD manifest, the manifest's driver library, NVIDIA's ICD beside /dev/nvidia*)
 * is named with the paths looked at and the fix; a complete set-up gives no cause.
 */
import assert from "node:assert/strict";
import { diagnoseVulkan, type FileView, gatherVulkanFacts } from "./vulkan_diagnosis.ts";

/** A fake FileView: `files` maps paths to contents (folders are implied by their files). */
function fakeFs(files: Record<string, string>, env: Record<string, string> = {}): FileView {
  const paths = Object.keys(files);
  return {
    exists: (p) => p in files || paths.some((f) => f.startsWith(`${p}/`)),
    list: (dir) => {
      const names = paths.filter((f) => f.startsWith(`${dir}/`))
        .map((f) => f.slice(dir.length + 1).split("/")[0]);
      return names.length ? [...new Set(names)] : null;
    },
    read: (p) => files[p] ?? null,
    env: (n) => env[n],
  };
}

const LOADER = "/usr/lib/x86_64-linux-gnu/libvulkan.so.1";
const LVP_JSON = "/usr/share/vulkan/icd.d/lvp_icd.x86_64.json";
const lvp = JSON.stringify({ ICD: { library_path: "libvulkan_lvp.so" } });
const nvidia = JSON.stringify({ ICD: { library_path: "libGLX_nvidia.so.0" } });

Deno.test("diagnoseVulkan() finds nothing wrong with the loader, an ICD and its library", () => {
  const fs = fakeFs({
    [LOADER]: "",
    [LVP_JSON]: lvp,
    "/usr/lib/x86_64-linux-gnu/libvulkan_lvp.so": "",
  });
  const f = gatherVulkanFacts(fs);
  assert.equal(f.loader, LOADER);
  assert.deepEqual(f.manifests, [{
    path: LVP_JSON,
    library: "libvulkan_lvp.so",
    libraryFound: "/usr/lib/x86_64-linux-gnu/libvulkan_lvp.so",
  }]);
  assert.deepEqual(diagnoseVulkan(f), []);
});

Deno.test("diagnoseVulkan() names a missing loader and lists the folders looked in", () => {
  const fs = fakeFs({ [LVP_JSON]: lvp, "/usr/lib/x86_64-linux-gnu/libvulkan_lvp.so": "" }, {
    LD_LIBRARY_PATH: "/opt/pack/lib",
  });
  const why = diagnoseVulkan(gatherVulkanFacts(fs));
  assert.equal(why.length, 1);
  assert.match(why[0], /^no Vulkan loader: libvulkan\.so\.1 is in none of \/opt\/pack\/lib, /);
  assert.match(why[0], /\/usr\/lib\/x86_64-linux-gnu/);
  assert.match(why[0], /apt-get install libvulkan1/);
  // the pack's loader, found through LD_LIBRARY_PATH
  const packed = fakeFs({ "/opt/pack/lib/libvulkan.so.1": "", [LVP_JSON]: lvp }, {
    LD_LIBRARY_PATH: "/opt/pack/lib",
  });
  assert.equal(gatherVulkanFacts(packed).loader, "/opt/pack/lib/libvulkan.so.1");
});

Deno.test("diagnoseVulkan() names missing ICD manifests, the folders searched and the override", () => {
  const why = diagnoseVulkan(gatherVulkanFacts(fakeFs({ [LOADER]: "" }, { HOME: "/root" })));
  assert.equal(why.length, 1);
  assert.match(why[0], /^no Vulkan driver \(ICD\) manifest: no \*\.json in /);
  for (const d of ["/root/.config", "/etc/xdg", "/etc", "/usr/local/share", "/usr/share"]) {
    assert.ok(why[0].includes(`${d}/vulkan/icd.d`), `${d} listed: ${why[0]}`);
  }
  assert.match(why[0], /mesa-vulkan-drivers/);
  const over = gatherVulkanFacts(
    fakeFs({ [LOADER]: "", [LVP_JSON]: lvp }, { VK_ICD_FILENAMES: "/nowhere.json" }),
  );
  assert.equal(over.icdOverride, "VK_ICD_FILENAMES");
  assert.match(diagnoseVulkan(over)[0], /VK_ICD_FILENAMES names \/nowhere\.json, and no manifest/);
});

Deno.test("diagnoseVulkan() names a manifest whose driver library is missing or unreadable", () => {
  const why = diagnoseVulkan(gatherVulkanFacts(fakeFs({
    [LOADER]: "",
    [LVP_JSON]: lvp,
    "/etc/vulkan/icd.d/broken.json": "{not json",
  })));
  assert.deepEqual(why.map((l) => l.split(" names ")[0].split(" has ")[0]), [
    "ICD manifest /etc/vulkan/icd.d/broken.json",
    `ICD manifest ${LVP_JSON}`,
  ]);
  assert.match(why[1], /libvulkan_lvp\.so, which is in none of the library folders/);
});

Deno.test("diagnoseVulkan() explains an NVIDIA device node without NVIDIA's ICD (containers)", () => {
  const base = {
    [LOADER]: "",
    [LVP_JSON]: lvp,
    "/usr/lib/x86_64-linux-gnu/libvulkan_lvp.so": "",
    "/dev/nvidia0": "",
    "/dev/nvidiactl": "",
    "/dev/nvidia-uvm": "",
  };
  const f = gatherVulkanFacts(fakeFs(base));
  assert.deepEqual(f.nvidiaDevices, ["/dev/nvidia0", "/dev/nvidiactl"]);
  const why = diagnoseVulkan(f);
  assert.equal(why.length, 1);
  assert.match(why[0], /NVIDIA GPU is exposed \(\/dev\/nvidia0, \/dev\/nvidiactl\)/);
  assert.match(why[0], /NVIDIA_DRIVER_CAPABILITIES=all/);
  // the manifest mounted but not its library: named as such
  const half = { ...base, "/etc/vulkan/icd.d/nvidia_icd.json": nvidia };
  const w2 = diagnoseVulkan(gatherVulkanFacts(fakeFs(half)));
  assert.equal(w2.length, 2);
  assert.match(w2[0], /nvidia_icd\.json names libGLX_nvidia\.so\.0, which is in none/);
  // and complete
  const full = { ...half, "/usr/lib/x86_64-linux-gnu/libGLX_nvidia.so.0": "" };
  assert.deepEqual(diagnoseVulkan(gatherVulkanFacts(fakeFs(full))), []);
});
