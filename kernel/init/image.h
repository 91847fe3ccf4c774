// What a kernel image does once the machine is up. Each image (production,
// in-kernel tests, the deliberate-fault image) links exactly one definition,
// together with its system_halt().
#pragma once

[[noreturn]] void image_main();
