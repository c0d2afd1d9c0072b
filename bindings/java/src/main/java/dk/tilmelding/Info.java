package dk.tilmelding;

import java.time.Instant;

/**
 * Facts about an open index ({@code tlm_info}).
 *
 * @param formatMajor format major version
 * @param formatMinor format minor version
 * @param materials number of materials
 * @param groups number of subscription groups
 * @param senderSystems number of sender systems
 * @param buildTime when the index was built
 * @param asOf when the contact list was extracted
 * @param cprContacts CPR recipients in the register
 * @param cvrContacts CVR recipients in the register
 * @param fileSize size of the index file in bytes
 */
public record Info(
        int formatMajor,
        int formatMinor,
        long materials,
        long groups,
        long senderSystems,
        Instant buildTime,
        Instant asOf,
        long cprContacts,
        long cvrContacts,
        long fileSize) {}
