/*
 * slot.h — the slot of a key: CRC16-XMODEM(key) mod 16384, hashing only the
 * {tag} part when the key has a non-empty one (the Redis Cluster rule).
 */
#ifndef HERD_SLOT_H
#define HERD_SLOT_H

#include <stddef.h>
#include <stdint.h>

#define SLOT_COUNT 16384

uint16_t crc16_xmodem(const void *data, size_t length);
unsigned int key_slot(const char *key, size_t length);

#endif
