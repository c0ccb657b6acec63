package dev.slipway.azure.bootstrap;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.slipway.azure.arm.PlannedFileServer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The {@code #cloud-config} of a storage cluster's NFS server: its managed data disks (Azure's
 * udev names {@code /dev/disk/azure/scsi1/lunN}) become one file system (btrfs across the disks,
 * or md RAID-0 under ext4/xfs), mounted by UUID at the mountpoint and exported to the cluster.
 * Every step checks before it acts, so a reboot or a second run formats nothing twice.
 */
public final class FileServerInit {
  static final String SCRIPT = CloudInit.SLIPWAY_HOME + "/bootstrap/nfs-server.sh";
  static final String EXPORTS = "/etc/exports.d/slipway.exports";

  private FileServerInit() {}

  public static String render(PlannedFileServer fs) {
    List<String> packages = new ArrayList<>(List.of("nfs-kernel-server"));
    if (fs.filesystem().equals("btrfs")) packages.add("btrfs-progs");
    if (fs.filesystem().equals("xfs")) packages.add("xfsprogs");
    if (fs.dataDiskLuns().size() > 1 && !fs.filesystem().equals("btrfs")) packages.add("mdadm");
    Map<String, Object> doc = new LinkedHashMap<>();
    doc.put("package_update", true);
    doc.put("packages", packages);
    List<Object> files = new ArrayList<>();
    files.add(file(EXPORTS, "# exports of storage cluster " + fs.storageClusterId() + " (rendered by Slipway)\n"
        + String.join("\n", fs.exports()) + "\n", "0644"));
    files.add(file(SCRIPT, script(fs), "0700"));
    doc.put("write_files", files);
    doc.put("runcmd", List.of(List.of("/bin/sh", SCRIPT)));
    try {
      YAMLMapper yaml = new YAMLMapper(YAMLFactory.builder().disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
          .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES).enable(YAMLGenerator.Feature.LITERAL_BLOCK_STYLE).build());
      return "#cloud-config\n" + yaml.writeValueAsString(doc);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot write cloud-config", e);
    }
  }

  private static Map<String, Object> file(String path, String content, String mode) {
    Map<String, Object> f = new LinkedHashMap<>();
    f.put("path", path);
    f.put("content", content);
    f.put("owner", "root:root");
    f.put("permissions", mode);
    return f;
  }

  static String script(PlannedFileServer fs) {
    List<String> disks = new ArrayList<>();
    fs.dataDiskLuns().forEach(l -> disks.add("/dev/disk/azure/scsi1/lun" + l));
    String all = String.join(" ", disks);
    StringBuilder s = new StringBuilder();
    s.append("#!/bin/sh\n")
        .append("# NFS server of storage cluster ").append(fs.storageClusterId()).append(" (rendered by FileServerInit; see docs/azure.md)\n")
        .append("set -eu\n")
        .append("log() { echo \"slipway-nfs: $*\"; }\n")
        .append("for d in ").append(all).append("; do i=0; until [ -b \"$d\" ]; do i=$((i+1)); [ \"$i\" -ge 60 ] && { log \"no disk $d\"; exit 1; }; sleep 5; done; done\n");
    String dev;
    if (fs.filesystem().equals("btrfs")) {
      dev = disks.get(0);
      s.append("if ! blkid ").append(dev).append(" >/dev/null 2>&1; then\n")
          .append("  mkfs.btrfs -f").append(disks.size() > 1 ? " -d raid0 -m raid1" : "").append(" ").append(all).append("\n")
          .append("fi\n")
          .append("btrfs device scan\n");
    } else {
      if (disks.size() > 1) {
        dev = "/dev/md/slipway";
        s.append("if [ ! -e ").append(dev).append(" ]; then\n")
            .append("  mdadm --assemble --scan || true\n")
            .append("fi\n")
            .append("if [ ! -e ").append(dev).append(" ]; then\n")
            .append("  mdadm --create ").append(dev).append(" --name=slipway --run --level=0 --raid-devices=").append(disks.size()).append(' ').append(all).append('\n')
            .append("  mdadm --detail --scan >> /etc/mdadm/mdadm.conf\n")
            .append("  update-initramfs -u || true\n")
            .append("fi\n");
      } else {
        dev = disks.get(0);
      }
      s.append("blkid ").append(dev).append(" >/dev/null 2>&1 || mkfs.").append(fs.filesystem())
          .append(fs.filesystem().equals("ext4") ? " -F" : " -f").append(' ').append(dev).append('\n');
    }
    s.append("uuid=$(blkid -s UUID -o value ").append(dev).append(")\n")
        .append("mkdir -p '").append(fs.mountpoint()).append("'\n")
        .append("grep -qs \"UUID=$uuid \" /etc/fstab || echo \"UUID=$uuid ").append(fs.mountpoint()).append(' ').append(fs.filesystem())
        .append(" defaults,nofail,noatime 0 2\" >> /etc/fstab\n")
        .append("mountpoint -q '").append(fs.mountpoint()).append("' || mount '").append(fs.mountpoint()).append("'\n")
        .append("chmod 0755 '").append(fs.mountpoint()).append("'\n")
        .append("systemctl enable nfs-server\n")
        .append("systemctl restart nfs-server\n")
        .append("exportfs -ra\n")
        .append("log \"exporting ").append(fs.mountpoint()).append("\"\n");
    return s.toString();
  }
}
