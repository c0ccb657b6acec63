package dev.slipway.slurm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.slipway.model.VmSize;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class VmSizeCatalogTest {
  private final VmSizeCatalog shipped = VmSizeCatalog.shipped();

  @Test
  void shipped_coversTheCommonAzureSizes() {
    List<String> required = List.of(
        "standard_a1_v2", "standard_a2_v2", "standard_a4_v2", "standard_a8_v2",
        "standard_d2_v2", "standard_d3_v2", "standard_d4_v2", "standard_d5_v2", "standard_d11_v2", "standard_d15_v2",
        "standard_d2s_v3", "standard_d64s_v3", "standard_d2s_v5", "standard_d96s_v5", "standard_e2s_v5", "standard_e64s_v5",
        "standard_f2", "standard_f4", "standard_f8", "standard_f16", "standard_f2s_v2", "standard_f72s_v2",
        "standard_hb120rs_v2", "standard_hb120rs_v3", "standard_hc44rs", "standard_hb176rs_v4",
        "standard_nc6", "standard_nc12", "standard_nc24", "standard_nc24r",
        "standard_nc6s_v2", "standard_nc24rs_v2", "standard_nc6s_v3", "standard_nc24rs_v3",
        "standard_nc4as_t4_v3", "standard_nc64as_t4_v3", "standard_nc24ads_a100_v4", "standard_nc96ads_a100_v4",
        "standard_nd40rs_v2", "standard_nd96asr_v4", "standard_nv6", "standard_nv12", "standard_nv24", "standard_nv12s_v3");
    assertThat(required).allSatisfy(name -> assertThat(shipped.find(name)).as(name).isPresent());
  }

  @Test
  void find_ignoresCase() {
    assertThat(shipped.find("STANDARD_F2")).contains(new VmSize("standard_f2", 2, 4096, 0, Optional.empty(), Optional.empty()));
    assertThat(shipped.find("Standard_NC24rs_v3").orElseThrow())
        .isEqualTo(new VmSize("standard_nc24rs_v3", 24, 458752, 4, Optional.of("tesla_v100"), Optional.of("fdr_ib")));
  }

  @Test
  void shipped_knowsTheSizesBatchShipyardCouldNotClassify() {
    assertThat(shipped.find("standard_nd40rs_v2").orElseThrow().gpus()).isEqualTo(8);
    assertThat(shipped.find("standard_nd96asr_v4").orElseThrow().gpuModel()).contains("a100");
    assertThat(shipped.find("standard_hb120rs_v2").orElseThrow().rdma()).contains("hdr_ib");
    assertThat(shipped.find("standard_nc64as_t4_v3").orElseThrow().gpuModel()).contains("tesla_t4");
  }

  @Test
  void shipped_everyGpuSizeHasAModel() {
    assertThat(shipped.sizes()).filteredOn(s -> s.gpus() > 0).isNotEmpty().allSatisfy(s -> assertThat(s.gpuModel()).isPresent());
  }

  @Test
  void withDeclared_addsNewSizesAndOverridesKnownOnes() {
    VmSize mine = new VmSize("Standard_Future_v9", 8, 65536, 0, Optional.empty(), Optional.empty());
    VmSize smallerF2 = new VmSize("standard_f2", 2, 3072, 0, Optional.empty(), Optional.empty());
    VmSizeCatalog catalog = shipped.withDeclared(List.of(mine, smallerF2));
    assertThat(catalog.find("standard_future_v9")).contains(mine);
    assertThat(catalog.find("STANDARD_F2").orElseThrow().memoryMiB()).isEqualTo(3072);
    assertThat(shipped.find("standard_f2").orElseThrow().memoryMiB()).as("the shipped catalog is unchanged").isEqualTo(4096);
  }

  @Test
  void find_unknownSize_isEmpty() {
    assertThat(shipped.find("standard_nonexistent")).isEmpty();
  }

  @Test
  void parse_malformedLine_namesSourceAndLine() {
    String csv = "# comment\nname,vcpus,memory_mib,gpus,gpu_model,rdma\nstandard_x,2,4096,0,,\nstandard_y,two,4096,0,,\n";
    assertThatThrownBy(() -> VmSizeCatalog.parse(csv, "test.csv")).hasMessageStartingWith("test.csv:4:");
  }

  @Test
  void parse_gpuCountWithoutModel_isRejected() {
    String csv = "name,vcpus,memory_mib,gpus,gpu_model,rdma\nstandard_x,2,4096,2,,\n";
    assertThatThrownBy(() -> VmSizeCatalog.parse(csv, "t.csv")).hasMessageContaining("t.csv:2").hasMessageContaining("gpu_model");
  }

  @Test
  void parse_duplicateSize_isRejected() {
    String csv = "name,vcpus,memory_mib,gpus,gpu_model,rdma\nstandard_x,2,4096,0,,\nSTANDARD_X,2,4096,0,,\n";
    assertThatThrownBy(() -> VmSizeCatalog.parse(csv, "t.csv")).hasMessageContaining("t.csv:3").hasMessageContaining("twice");
  }

  @Test
  void parse_withoutHeader_isRejected() {
    assertThatThrownBy(() -> VmSizeCatalog.parse("standard_x,2,4096,0,,\n", "t.csv")).hasMessageContaining("header");
  }
}
