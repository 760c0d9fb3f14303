// Vulkan for Swift: the headers without prototypes (every entry point is loaded at run time through
// vkGetInstanceProcAddr), plus the function-like macros Swift cannot import, re-exported as functions.
#ifndef RETORT_CVULKAN_SHIM_H
#define RETORT_CVULKAN_SHIM_H

#define VK_NO_PROTOTYPES 1
#include <vulkan/vulkan.h>
#include <dlfcn.h>

static const uint32_t CVK_API_VERSION_1_0 = VK_API_VERSION_1_0;
static const uint32_t CVK_API_VERSION_1_1 = VK_API_VERSION_1_1;
static const uint32_t CVK_API_VERSION_1_2 = VK_API_VERSION_1_2;
static const uint32_t CVK_API_VERSION_1_3 = VK_API_VERSION_1_3;

static inline uint32_t cvk_make_api_version(uint32_t variant, uint32_t major, uint32_t minor, uint32_t patch) {
    return VK_MAKE_API_VERSION(variant, major, minor, patch);
}
static inline uint32_t cvk_version_major(uint32_t v) { return VK_API_VERSION_MAJOR(v); }
static inline uint32_t cvk_version_minor(uint32_t v) { return VK_API_VERSION_MINOR(v); }
static inline uint32_t cvk_version_patch(uint32_t v) { return VK_API_VERSION_PATCH(v); }

#endif
